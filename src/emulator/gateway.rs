//! The WebSocket gateway: one task per connection.
//!
//! Hello goes out first, before anything is read, so a client that sends Identify or Resume
//! without waiting for Hello (botgo) is served normally. All op 0 frames come through the
//! connection's queue in `s` order (see `state.rs`); acks, op 7 and op 9 are written directly.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};

use super::config::{DEFAULT_SESSION_TIMEOUT, Scenario};
use super::records::{EmulatorEvent, Fault};
use super::state::{ConnLink, Outbound, Reject, Shared};
use crate::protocol::Envelope;
use crate::protocol::payloads::{
    Identify, Resume, heartbeat_ack_frame, hello_frame, invalid_session_frame, reconnect_frame,
};

/// The period of the fault scenarios (session-timeout, drop, server-error-49xx): the configured
/// `session_timeout` when it was set below the 30 min default, else 5 s.
pub fn fault_period(shared_timeout: Duration) -> Duration {
    if shared_timeout < DEFAULT_SESSION_TIMEOUT {
        shared_timeout
    } else {
        Duration::from_secs(5)
    }
}

/// What the per-connection timer does when it fires.
#[derive(Debug, Clone, Copy)]
enum TimerAction {
    SessionTimeout,
    Drop,
    ServerError(u16),
}

/// Whether the connection loop goes on.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

struct Conn {
    shared: Arc<Shared>,
    link: ConnLink,
    session: Option<String>,
    acks: bool,
    flood: bool,
    flood_rng: StdRng,
    flood_index: usize,
}

/// Serve one upgraded WebSocket until either side ends it.
pub(crate) async fn serve(shared: Arc<Shared>, mut socket: WebSocket) {
    let conn_id = shared.next_connection();
    shared.emit(EmulatorEvent::Connected {
        connection: conn_id,
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut conn = Conn {
        flood_rng: StdRng::seed_from_u64(shared.config.seed ^ conn_id.rotate_left(32)),
        shared: shared.clone(),
        link: ConnLink { conn_id, tx },
        session: None,
        acks: true,
        flood: false,
        flood_index: 0,
    };
    let hello = hello_frame(shared.config.heartbeat_interval.as_millis() as u64);
    if socket.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    let (deadline, action) = conn.timer();
    let mut timer_armed = true;
    let mut shutdown = shared.shutdown.clone();
    loop {
        let flow = tokio::select! {
            biased;
            _ = shutdown.changed() => {
                conn.close(&mut socket, 1001, "emulator shutting down", false).await;
                Flow::Stop
            }
            // Queued work before socket input: a fault or event queued before the client sent
            // a frame is handled before that frame.
            Some(out) = rx.recv() => conn.on_outbound(&mut socket, out).await,
            msg = socket.recv() => conn.on_message(&mut socket, msg).await,
            _ = sleep_until(deadline), if timer_armed => {
                timer_armed = false;
                conn.on_timer(&mut socket, action).await
            }
            _ = std::future::ready(()), if conn.flood => {
                conn.flood_step();
                Flow::Continue
            }
        };
        if flow == Flow::Stop {
            break;
        }
    }
    // However the loop ended, a session still attached to this connection stays resumable.
    if let Some(id) = conn.session.take() {
        shared.detach(&id, conn_id, false);
    }
}

impl Conn {
    fn timer(&self) -> (Instant, TimerAction) {
        let cfg = &self.shared.config;
        let now = Instant::now();
        let period = fault_period(cfg.session_timeout);
        match cfg.scenario {
            Scenario::SessionTimeout => (now + period, TimerAction::SessionTimeout),
            Scenario::Drop => (now + period, TimerAction::Drop),
            Scenario::ServerError49xx => {
                let code = 4900 + ((cfg.seed.wrapping_add(self.link.conn_id)) % 14) as u16;
                (now + period, TimerAction::ServerError(code))
            }
            _ => (now + cfg.session_timeout, TimerAction::SessionTimeout),
        }
    }

    async fn on_message(
        &mut self,
        socket: &mut WebSocket,
        msg: Option<Result<Message, axum::Error>>,
    ) -> Flow {
        match msg {
            None | Some(Err(_)) => {
                self.client_gone(None);
                Flow::Stop
            }
            Some(Ok(Message::Close(frame))) => {
                self.client_gone(frame.map(|f| f.code));
                // Echo the client's close frame, same code (RFC 6455 §5.5.1), as the platform
                // does. The WebSocket layer queued that echo; a flush writes it.
                let _ = timeout(Duration::from_secs(2), SinkExt::flush(socket)).await;
                Flow::Stop
            }
            Some(Ok(Message::Text(text))) => self.on_text(socket, text.as_str()).await,
            Some(Ok(Message::Binary(bytes))) => match std::str::from_utf8(&bytes) {
                Ok(text) => self.on_text(socket, text).await,
                Err(_) => {
                    self.shared.record_frame(
                        self.session.as_deref(),
                        self.link.conn_id,
                        None,
                        &String::from_utf8_lossy(&bytes),
                    );
                    self.close(socket, 4002, "invalid payload", false).await;
                    Flow::Stop
                }
            },
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Flow::Continue,
        }
    }

    async fn on_text(&mut self, socket: &mut WebSocket, text: &str) -> Flow {
        let env = match Envelope::peek(text) {
            Ok(env) => env,
            Err(_) => {
                self.shared
                    .record_frame(self.session.as_deref(), self.link.conn_id, None, text);
                self.close(socket, 4002, "invalid payload", false).await;
                return Flow::Stop;
            }
        };
        self.shared.record_frame(
            self.session.as_deref(),
            self.link.conn_id,
            Some(env.op),
            text,
        );
        match env.op {
            1 => {
                // d is the last seq (or null); satori sends it as `s` with no `d`.
                let seq = env
                    .d
                    .and_then(|d| d.get().trim().parse::<u64>().ok())
                    .or(env.s);
                self.shared.heartbeat(self.session.as_deref(), seq);
                if self.acks && send_text(socket, heartbeat_ack_frame()).await.is_err() {
                    self.client_gone(None);
                    return Flow::Stop;
                }
                Flow::Continue
            }
            2 => {
                let parsed = serde_json::from_str::<Identify>(env.d_text());
                self.on_identify(socket, parsed.ok()).await
            }
            6 => {
                let parsed = serde_json::from_str::<Resume>(env.d_text());
                self.on_resume(socket, parsed.ok()).await
            }
            _ => {
                self.close(socket, 4001, "invalid opcode", false).await;
                Flow::Stop
            }
        }
    }

    /// Closes that some scenarios answer every Identify/Resume with.
    fn scenario_refusal(&self) -> Option<(u16, &'static str)> {
        match self.shared.config.scenario {
            Scenario::Offline4914 => Some((4914, "bot offline")),
            Scenario::Banned4915 => Some((4915, "bot banned")),
            Scenario::RateLimit4008 if self.link.conn_id <= 2 => Some((4008, "rate limit")),
            _ => None,
        }
    }

    async fn on_identify(&mut self, socket: &mut WebSocket, identify: Option<Identify>) -> Flow {
        let Some(identify) = self.admit(socket, identify).await else {
            return Flow::Stop;
        };
        let outcome = self
            .shared
            .identify(&self.link, &identify)
            .map(|(id, _)| id);
        self.login(socket, outcome).await
    }

    async fn on_resume(&mut self, socket: &mut WebSocket, resume: Option<Resume>) -> Flow {
        let Some(resume) = self.admit(socket, resume).await else {
            return Flow::Stop;
        };
        let outcome = self.shared.resume(&self.link, &resume).map(|(id, _)| id);
        self.login(socket, outcome).await
    }

    /// The checks every Identify and Resume passes first: one login per connection, the
    /// scenario's refusals, a readable payload. Closes the connection and returns `None` when
    /// one fails.
    async fn admit<T>(&mut self, socket: &mut WebSocket, payload: Option<T>) -> Option<T> {
        let refusal = if self.session.is_some() {
            Some((4005, "already authenticated"))
        } else if let Some(refusal) = self.scenario_refusal() {
            Some(refusal)
        } else if payload.is_none() {
            Some((4002, "invalid payload"))
        } else {
            None
        };
        if let Some((code, reason)) = refusal {
            self.close(socket, code, reason, false).await;
            return None;
        }
        payload
    }

    /// Finish an Identify or Resume: the session is established, or the client is refused.
    async fn login(&mut self, socket: &mut WebSocket, outcome: Result<String, Reject>) -> Flow {
        match outcome {
            Ok(id) => {
                self.established(id);
                Flow::Continue
            }
            Err(reject) => {
                self.reject(socket, reject).await;
                Flow::Stop
            }
        }
    }

    fn established(&mut self, session_id: String) {
        self.session = Some(session_id);
        let scenario = self.shared.config.scenario;
        if scenario == Scenario::Zombie {
            self.acks = false;
        }
        self.flood = scenario == Scenario::Flood && !self.shared.flood_pool.is_empty();
    }

    async fn reject(&mut self, socket: &mut WebSocket, reject: Reject) {
        match reject {
            Reject::Close(code, reason) => self.close(socket, code, reason, false).await,
            Reject::InvalidSession(code, reason) => {
                let _ = send_text(socket, invalid_session_frame(false)).await;
                self.close(socket, code, reason, true).await;
            }
        }
    }

    async fn on_outbound(&mut self, socket: &mut WebSocket, out: Outbound) -> Flow {
        match out {
            Outbound::Dispatch { s, t, frame } => {
                if socket.send(Message::Text(frame)).await.is_err() {
                    self.client_gone(None);
                    return Flow::Stop;
                }
                if !matches!(&*t, "READY" | "RESUMED") {
                    self.shared
                        .counters
                        .dispatches_sent
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                // Flood would swamp the signal channel (and make subscribers lag past the
                // signals they wait for), so flood dispatches are not signalled.
                if let Some(session_id) = &self.session
                    && self.shared.has_subscribers()
                    && !self.flood
                {
                    self.shared.emit(EmulatorEvent::Dispatched {
                        session_id: session_id.clone(),
                        s,
                        t: t.to_string(),
                    });
                }
                Flow::Continue
            }
            Outbound::Superseded => {
                // The session now lives on another connection: do not detach it.
                self.session = None;
                self.shared.emit(EmulatorEvent::Closed {
                    session_id: None,
                    code: None,
                });
                Flow::Stop
            }
            Outbound::Fault(fault) => self.on_fault(socket, fault).await,
        }
    }

    async fn on_fault(&mut self, socket: &mut WebSocket, fault: Fault) -> Flow {
        match fault {
            Fault::Reconnect => {
                if send_text(socket, reconnect_frame()).await.is_err() {
                    self.client_gone(None);
                    return Flow::Stop;
                }
                Flow::Continue
            }
            Fault::SessionTimeout => {
                self.session_timeout(socket).await;
                Flow::Stop
            }
            Fault::InvalidSession => {
                let _ = send_text(socket, invalid_session_frame(false)).await;
                self.close(socket, 4006, "invalid session", true).await;
                Flow::Stop
            }
            Fault::Close { code, reason } => {
                self.close(socket, code, &reason, false).await;
                Flow::Stop
            }
            Fault::StopAcks => {
                self.acks = false;
                Flow::Continue
            }
            Fault::ResumeAcks => {
                self.acks = true;
                Flow::Continue
            }
            Fault::Drop => {
                self.drop_connection();
                Flow::Stop
            }
            Fault::RevokeSecret => {
                self.close(socket, 4004, "invalid token", false).await;
                Flow::Stop
            }
        }
    }

    async fn on_timer(&mut self, socket: &mut WebSocket, action: TimerAction) -> Flow {
        match action {
            TimerAction::SessionTimeout => self.session_timeout(socket).await,
            TimerAction::Drop => self.drop_connection(),
            TimerAction::ServerError(code) => {
                self.close(socket, code, "internal error", false).await
            }
        }
        Flow::Stop
    }

    fn flood_step(&mut self) {
        let Some(session_id) = &self.session else {
            self.flood = false;
            return;
        };
        let event_uuid = uuid::Builder::from_random_bytes(self.flood_rng.random()).into_uuid();
        let pushed = self.shared.flood_one(
            session_id,
            self.link.conn_id,
            self.flood_index,
            &event_uuid.to_string(),
        );
        self.flood_index = self.flood_index.wrapping_add(1);
        if !pushed {
            self.flood = false;
        }
    }

    async fn session_timeout(&mut self, socket: &mut WebSocket) {
        let _ = send_text(socket, reconnect_frame()).await;
        self.close(socket, 4009, "Session timed out", false).await;
    }

    /// The client closed or vanished: the session stays resumable.
    fn client_gone(&mut self, code: Option<u16>) {
        let session_id = self.session.take();
        if let Some(id) = &session_id {
            // A normal closure (1000) from the client ends the session, as on Discord-style
            // gateways: nothing is buffered for it and it cannot be resumed. Any other code
            // (qqbot's own 4000 included) leaves it resumable.
            self.shared
                .detach(id, self.link.conn_id, code == Some(1000));
        }
        self.shared
            .emit(EmulatorEvent::Disconnected { session_id, code });
    }

    /// End the connection without a close frame (the caller drops the socket).
    fn drop_connection(&mut self) {
        let session_id = self.session.take();
        if let Some(id) = &session_id {
            self.shared.detach(id, self.link.conn_id, false);
        }
        self.shared.emit(EmulatorEvent::Closed {
            session_id,
            code: None,
        });
    }

    /// Detach (or with `discard`, forget) the session, send a close frame, and wait briefly for
    /// the client's answer.
    async fn close(&mut self, socket: &mut WebSocket, code: u16, reason: &str, discard: bool) {
        let session_id = self.session.take();
        if let Some(id) = &session_id {
            self.shared.detach(id, self.link.conn_id, discard);
        }
        self.shared.emit(EmulatorEvent::Closed {
            session_id,
            code: Some(code),
        });
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(reason),
        };
        if socket.send(Message::Close(Some(frame))).await.is_ok() {
            let _ = timeout(Duration::from_secs(2), async {
                while let Some(Ok(msg)) = socket.recv().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
    }
}

async fn send_text(socket: &mut WebSocket, text: String) -> Result<(), axum::Error> {
    socket.send(Message::Text(text.into())).await
}
