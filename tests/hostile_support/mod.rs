//! A hostile platform for tests: one raw TCP listener that answers the token endpoint and
//! `/gateway/bot` with plain HTTP/1.1, completes WebSocket upgrades by hand, sends a valid Hello
//! and then whatever bad bytes the test chose. Used by the library-level tests
//! (`gateway_hostile.rs`) and by the binary-level ones (`cli_hostile.rs`).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// What the hostile platform does.
#[derive(Clone)]
pub struct Hostile {
    /// Bytes sent after Hello on every WebSocket connection.
    pub bad: Vec<u8>,
    /// `shards` in `/gateway/bot`.
    pub shards: u32,
    /// `max_concurrency` in `/gateway/bot`.
    pub max_concurrency: u32,
    /// Never answer `/gateway/bot` (a start that hangs).
    pub hang_gateway_bot: bool,
}

impl Hostile {
    /// Hello, then `bad`, on one shard.
    pub fn sending(bad: Vec<u8>) -> Hostile {
        Hostile {
            bad,
            shards: 1,
            max_concurrency: 1,
            hang_gateway_bot: false,
        }
    }
}

/// A running hostile platform.
pub struct HostileServer {
    addr: SocketAddr,
    /// WebSocket connections upgraded so far.
    pub upgrades: Arc<AtomicUsize>,
    /// Notified on every `/gateway/bot` request.
    pub gateway_bot_asked: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl HostileServer {
    /// Bind on 127.0.0.1 and serve until dropped.
    pub async fn start(hostile: Hostile) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let upgrades = Arc::new(AtomicUsize::new(0));
        let gateway_bot_asked = Arc::new(Notify::new());
        let hostile = Arc::new(hostile);
        let task = {
            let (upgrades, asked) = (Arc::clone(&upgrades), Arc::clone(&gateway_bot_asked));
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    let (hostile, upgrades, asked) = (
                        Arc::clone(&hostile),
                        Arc::clone(&upgrades),
                        Arc::clone(&asked),
                    );
                    tokio::spawn(async move {
                        let _ = serve(socket, addr, &hostile, &upgrades, &asked).await;
                    });
                }
            })
        };
        HostileServer {
            addr,
            upgrades,
            gateway_bot_asked,
            task,
        }
    }

    /// `http://127.0.0.1:PORT` (the OpenAPI base).
    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("http://{}/app/getAppAccessToken", self.addr)
    }

    /// The WebSocket URL `/gateway/bot` returns.
    pub fn gateway_url(&self) -> String {
        format!("ws://{}/websocket", self.addr)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Read a request head (bounded), returning it as text.
async fn read_head(socket: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert!(head.len() < 16 * 1024, "request head too long");
        socket.read_exact(&mut byte).await?;
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

async fn respond_json(socket: &mut TcpStream, body: &str) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await
}

async fn serve(
    mut socket: TcpStream,
    addr: SocketAddr,
    hostile: &Hostile,
    upgrades: &AtomicUsize,
    asked: &Notify,
) -> std::io::Result<()> {
    let head = read_head(&mut socket).await?;
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    if let Some(key) = header(&head, "sec-websocket-key") {
        upgrades.fetch_add(1, Ordering::SeqCst);
        let accept = derive_accept_key(key.as_bytes());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        socket.write_all(response.as_bytes()).await?;
        socket
            .write_all(&text_frame(
                br#"{"op":10,"d":{"heartbeat_interval":41250}}"#,
            ))
            .await?;
        socket.write_all(&hostile.bad).await?;
        // Keep the socket open: the client must end the connection itself.
        let mut sink = [0u8; 1024];
        while socket.read(&mut sink).await? > 0 {}
        return Ok(());
    }
    if path.contains("getAppAccessToken") {
        let length: usize = header(&head, "content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length.min(64 * 1024)];
        socket.read_exact(&mut body).await?;
        return respond_json(
            &mut socket,
            r#"{"access_token":"hostile-token","expires_in":"7200"}"#,
        )
        .await;
    }
    if path.starts_with("/gateway/bot") {
        asked.notify_waiters();
        if hostile.hang_gateway_bot {
            let mut sink = [0u8; 1024];
            while socket.read(&mut sink).await? > 0 {}
            return Ok(());
        }
        let body = format!(
            r#"{{"url":"ws://{addr}/websocket","shards":{},"session_start_limit":{{"total":100000,"remaining":100000,"reset_after":86400000,"max_concurrency":{}}}}}"#,
            hostile.shards, hostile.max_concurrency
        );
        return respond_json(&mut socket, &body).await;
    }
    let response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    socket.write_all(response.as_bytes()).await
}

/// An unmasked server text frame (payload under 126 bytes).
pub fn text_frame(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![0x81, payload.len() as u8];
    frame.extend_from_slice(payload);
    frame
}

/// The bad frames every hostile test runs, with a word the error must contain.
pub fn bad_frames() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let masked = {
        let payload = br#"{"op":11}"#;
        let mask = [1u8, 2, 3, 4];
        let mut frame = vec![0x81, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        frame
    };
    vec![
        (
            "invalid UTF-8",
            text_frame(&[0x7b, 0xff, 0xfe, 0x7d]),
            "UTF-8",
        ),
        ("masked server frame", masked, "protocol error"),
        ("RSV bits", vec![0xC1, 0x02, b'{', b'}'], "protocol error"),
        ("reserved opcode", vec![0x83, 0x00], "protocol error"),
        (
            "long control frame",
            [vec![0x89, 126, 0, 200], vec![0u8; 200]].concat(),
            "protocol error",
        ),
    ]
}
