//! Shared helpers for the emulator conformance tests: a raw tokio-tungstenite client and HTTP
//! helpers. Every wait is bounded by a timeout; nothing sleeps.

#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use qqbot::emulator::{Emulator, EmulatorConfig, EmulatorEvent, Scenario};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single wait may take (virtual time under `start_paused`).
pub const WAIT: Duration = Duration::from_secs(10);

/// A quiet emulator with a generous identify rate so tests can open several sessions.
pub fn quiet() -> EmulatorConfig {
    EmulatorConfig {
        scenario: Scenario::Quiet,
        max_concurrency: 100,
        ..EmulatorConfig::default()
    }
}

pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

/// Jump the tokio clock forward by `by` (emulator timers fire), then let real time run again.
///
/// Tests run in real time so loopback I/O is never raced by tokio's auto-advance of paused
/// time; long waits (30 min session timeouts, token lifetimes) are skipped with this instead.
pub async fn skip(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

/// An HTTP client that does not keep idle connections across clock skips.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

/// One HTTP call to the emulator: `(status, headers, body text)`.
pub async fn call(
    emu: &Emulator,
    method: reqwest::Method,
    path: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
    let mut req = http().request(method, format!("{}{path}", emu.api_base()));
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

/// Fetch an access token with the default credentials.
pub async fn token(emu: &Emulator) -> String {
    let body: Value = http()
        .post(emu.token_url())
        .json(&json!({"appId": emu.config().app_id, "clientSecret": emu.config().secret.expose()}))
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token json");
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {body}"))
        .to_owned()
}

/// What the server did next.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// A text frame, parsed.
    Frame(Value),
    /// A close frame: code and reason.
    Closed(u16, String),
    /// The TCP connection ended without a close frame.
    Dropped,
}

/// A raw gateway client.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub async fn connect(emu: &Emulator) -> Client {
        let (ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(emu.gateway_url()))
            .await
            .expect("connect in time")
            .expect("websocket connects");
        Client { ws }
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_owned().into()))
            .await
            .expect("send");
    }

    /// The next frame, close or drop (bounded by [`WAIT`]).
    pub async fn next(&mut self) -> Next {
        self.next_within(WAIT).await
    }

    /// The next frame, close or drop, within `limit`.
    pub async fn next_within(&mut self, limit: Duration) -> Next {
        loop {
            let msg = timeout(limit, self.ws.next())
                .await
                .expect("server answered in time");
            return match msg {
                Some(Ok(Message::Text(text))) => Next::Frame(
                    serde_json::from_str(text.as_str()).expect("server frames are JSON"),
                ),
                Some(Ok(Message::Close(Some(frame)))) => {
                    Next::Closed(u16::from(frame.code), frame.reason.as_str().to_owned())
                }
                Some(Ok(Message::Close(None))) => Next::Closed(1005, String::new()),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(other)) => panic!("unexpected message {other:?}"),
                Some(Err(_)) | None => Next::Dropped,
            };
        }
    }

    /// The next frame; panics on close or drop.
    /// The next text frame as sent, unparsed.
    pub async fn raw_frame(&mut self) -> String {
        let msg = timeout(WAIT, self.ws.next())
            .await
            .expect("server answered in time");
        match msg {
            Some(Ok(Message::Text(text))) => text.as_str().to_owned(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    pub async fn frame(&mut self) -> Value {
        match self.next().await {
            Next::Frame(v) => v,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// Expect a close frame and return its code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        match self.next().await {
            Next::Closed(code, reason) => (code, reason),
            other => panic!("expected a close, got {other:?}"),
        }
    }

    /// Read Hello and return its interval.
    pub async fn hello(&mut self) -> u64 {
        let hello = self.frame().await;
        assert_eq!(hello["op"], 10, "{hello}");
        hello["d"]["heartbeat_interval"].as_u64().expect("interval")
    }

    pub async fn send_identify(&mut self, token: &str, intents: u64, shard: Option<[u32; 2]>) {
        let mut d = json!({"token": format!("QQBot {token}"), "intents": intents});
        if let Some(shard) = shard {
            d["shard"] = json!(shard);
        }
        self.send(json!({"op": 2, "d": d})).await;
    }

    /// Hello, Identify, READY; returns READY.
    pub async fn identify(&mut self, token: &str, intents: u64, shard: Option<[u32; 2]>) -> Value {
        self.hello().await;
        self.send_identify(token, intents, shard).await;
        let ready = self.frame().await;
        assert_eq!(ready["t"], "READY", "{ready}");
        ready
    }

    pub async fn send_resume(&mut self, token: &str, session_id: &str, seq: u64) {
        self.send(json!({"op": 6, "d": {"token": format!("QQBot {token}"), "session_id": session_id, "seq": seq}}))
            .await;
    }

    /// Send a close frame with `code` and return the server's answer.
    pub async fn close_with(&mut self, code: u16, reason: &str) -> Next {
        use tokio_tungstenite::tungstenite::protocol::CloseFrame;
        let frame = CloseFrame {
            code: code.into(),
            reason: reason.to_owned().into(),
        };
        self.ws
            .send(Message::Close(Some(frame)))
            .await
            .expect("send close");
        self.next().await
    }

    /// Close the connection from the client side.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        // Drain until the server's close answer or the end (bounded).
        let _ = timeout(WAIT, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}

/// Wait for the first event matching `pred`.
pub async fn wait_for(
    rx: &mut broadcast::Receiver<EmulatorEvent>,
    mut pred: impl FnMut(&EmulatorEvent) -> bool,
) -> EmulatorEvent {
    timeout(WAIT, async {
        loop {
            match rx.recv().await {
                Ok(event) if pred(&event) => return event,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => panic!("event channel closed"),
            }
        }
    })
    .await
    .expect("event arrived in time")
}

/// Intents that cover every event the tests inject.
pub const ALL_INTENTS: u64 =
    1 | 2 | (1 << 9) | (1 << 10) | (1 << 12) | (1 << 25) | (1 << 26) | (1 << 30);

/// A client connected and identified with [`ALL_INTENTS`] (READY read).
pub async fn identified(emu: &Emulator) -> Client {
    let tok = token(emu).await;
    let mut c = Client::connect(emu).await;
    c.identify(&tok, ALL_INTENTS, None).await;
    c
}
