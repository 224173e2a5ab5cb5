//! The WebSocket connection: the only file that knows tokio-tungstenite.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A failed connect or send.
#[derive(Debug, thiserror::Error)]
#[error("websocket {op} failed")]
pub struct TransportError {
    op: &'static str,
    #[source]
    source: tungstenite::Error,
}

/// What the socket produced.
#[derive(Debug)]
pub enum Incoming {
    /// A text frame (binary frames holding UTF-8 JSON are accepted too).
    Frame(Arc<str>),
    /// A binary frame that is not UTF-8.
    Garbage,
    /// The connection ended: with a close frame (`Some(code)`) or without (`None`, TCP drop).
    Closed {
        /// Close code.
        code: Option<u16>,
        /// Close reason.
        reason: String,
    },
    /// The connection broke on a WebSocket protocol violation or an I/O error other than a
    /// plain drop (invalid UTF-8, an oversized message, a masked server frame, RSV bits, ...).
    Broken {
        /// What went wrong, in one line.
        error: String,
    },
}

/// What a read error means: a plain drop, or a protocol/I-O error worth naming.
fn read_error(error: &tungstenite::Error) -> Incoming {
    use std::io::ErrorKind;
    use tungstenite::error::ProtocolError;
    let dropped = Incoming::Closed {
        code: None,
        reason: String::new(),
    };
    let error = match error {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => return dropped,
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            return dropped;
        }
        tungstenite::Error::Io(e)
            if matches!(
                e.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::BrokenPipe
            ) =>
        {
            return dropped;
        }
        tungstenite::Error::Io(e) => format!("I/O error: {e}"),
        tungstenite::Error::Utf8(_) => "a text frame is not valid UTF-8".to_owned(),
        tungstenite::Error::Capacity(e) => format!("frame too large: {e}"),
        tungstenite::Error::Protocol(e) => format!("WebSocket protocol error: {e}"),
        other => other.to_string(),
    };
    Incoming::Broken { error }
}

/// One gateway connection.
#[derive(Debug)]
pub struct Transport {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Transport {
    /// Open a connection (`ws://` or `wss://`, rustls) with Nagle's algorithm off, so a
    /// heartbeat is never held back waiting for the gateway's delayed TCP ACK.
    pub async fn connect(url: &str) -> Result<Transport, TransportError> {
        let (ws, _response) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .map_err(|source| TransportError {
                op: "connect",
                source,
            })?;
        Ok(Transport { ws })
    }

    /// The next frame. Cancel-safe (used in `select!`).
    pub async fn next(&mut self) -> Incoming {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => return Incoming::Frame(Arc::from(text.as_str())),
                Some(Ok(Message::Binary(bytes))) => {
                    return match std::str::from_utf8(&bytes) {
                        Ok(text) => Incoming::Frame(Arc::from(text)),
                        Err(_) => Incoming::Garbage,
                    };
                }
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(frame) => Incoming::Closed {
                            code: Some(u16::from(frame.code)),
                            reason: frame.reason.as_str().to_owned(),
                        },
                        None => Incoming::Closed {
                            code: Some(1005),
                            reason: String::new(),
                        },
                    };
                }
                Some(Ok(_)) => continue, // ping/pong are answered by tungstenite
                Some(Err(e)) => return read_error(&e),
                None => {
                    return Incoming::Closed {
                        code: None,
                        reason: String::new(),
                    };
                }
            }
        }
    }

    /// Send a text frame.
    pub async fn send(&mut self, text: String) -> Result<(), TransportError> {
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|source| TransportError { op: "send", source })
    }

    /// Send a close frame and flush it; the connection is dropped afterwards.
    pub async fn close(mut self, code: u16, reason: &str) {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        let _ = self.ws.close(Some(frame)).await;
    }
}
