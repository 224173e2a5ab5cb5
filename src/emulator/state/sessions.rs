//! Sessions under the gateway lock: Identify, Resume with replay, heartbeats (which trim the
//! replay buffer), detaching, delivery in `s` order, the flood feeder and faults.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::super::config::Scenario;
use super::super::generate::{BOT_USER_ID, BOT_USERNAME};
use super::super::json::platform_json;
use super::super::records::{EmulatorEvent, EmulatorWarning, Fault, FaultTarget, SessionSnapshot};
use super::super::routing::shard_for;
use super::{
    ConnLink, IDENTIFY_WINDOW, Outbound, REPLAY_CAP, Reject, START_LIMIT_RESET, Shared, lock,
};
use crate::protocol::payloads::{Identify, Resume, dispatch_frame};
use crate::protocol::{EventType, Intents};

#[derive(Debug, Clone)]
struct Buffered {
    s: u64,
    t: Arc<str>,
    frame: Utf8Bytes,
}

#[derive(Debug)]
struct Session {
    id: String,
    shard: [u32; 2],
    intents: Intents,
    seq: u64,
    buffer: VecDeque<Buffered>,
    conn: Option<ConnLink>,
    resumes: u32,
    identified_at: Instant,
    disconnected_at: Option<Instant>,
    last_heartbeat: Option<u64>,
    /// The highest `s` dropped from the replay buffer (trimmed to a heartbeat, or over the cap).
    trimmed_through: u64,
}

impl Session {
    fn expired(&self, now: Instant, window: Duration) -> bool {
        self.conn.is_none()
            && self
                .disconnected_at
                .is_some_and(|at| now.saturating_duration_since(at) > window)
    }

    /// Assign the next `s`, buffer the frame and queue it to the connection if one is attached.
    fn push(&mut self, t: &Arc<str>, id: &str, d_raw: &str) {
        self.seq += 1;
        let frame = Utf8Bytes::from(dispatch_frame(Some(self.seq), t, id, d_raw));
        if self.buffer.len() >= REPLAY_CAP
            && let Some(old) = self.buffer.pop_front()
        {
            self.trimmed_through = old.s;
        }
        self.buffer.push_back(Buffered {
            s: self.seq,
            t: t.clone(),
            frame: frame.clone(),
        });
        if let Some(conn) = &self.conn {
            // A send error means the connection task is gone; it detaches itself.
            let _ = conn.tx.send(Outbound::Dispatch {
                s: self.seq,
                t: t.clone(),
                frame,
            });
        }
    }

    /// Send a frame that is not buffered (READY, RESUMED).
    fn push_unbuffered(&mut self, t: &str, d_raw: &str) {
        self.seq += 1;
        let id = format!("{t}:{}", uuid::Uuid::new_v4());
        let frame = Utf8Bytes::from(dispatch_frame(Some(self.seq), t, &id, d_raw));
        if let Some(conn) = &self.conn {
            let _ = conn.tx.send(Outbound::Dispatch {
                s: self.seq,
                t: Arc::from(t),
                frame,
            });
        }
    }

    fn snapshot(&self, started: Instant) -> SessionSnapshot {
        SessionSnapshot {
            id: self.id.clone(),
            shard: self.shard,
            intents: self.intents.bits(),
            seq: self.seq,
            connected: self.conn.is_some(),
            resumes: self.resumes,
            identified_at: self.identified_at.saturating_duration_since(started),
            last_heartbeat: self.last_heartbeat,
            buffered: self.buffer.len(),
        }
    }
}

#[derive(Debug)]
pub(super) struct GatewayState {
    sessions: HashMap<String, Session>,
    identify_times: VecDeque<Instant>,
    pub(super) start_remaining: u32,
    pub(super) start_window_began: Option<Instant>,
}

impl GatewayState {
    pub(super) fn new(start_remaining: u32) -> GatewayState {
        GatewayState {
            sessions: HashMap::new(),
            identify_times: VecDeque::new(),
            start_remaining,
            start_window_began: None,
        }
    }

    fn prune(&mut self, now: Instant, window: Duration) {
        self.sessions.retain(|_, s| !s.expired(now, window));
    }
}

impl Shared {
    /// The gateway lock, with expired sessions pruned and the start budget reset when due.
    pub(super) fn gateway(&self) -> MutexGuard<'_, GatewayState> {
        let mut gw = lock(&self.gateway);
        let now = Instant::now();
        gw.prune(now, self.config.resume_window);
        if gw
            .start_window_began
            .is_some_and(|began| now.saturating_duration_since(began) >= START_LIMIT_RESET)
        {
            gw.start_window_began = None;
            gw.start_remaining = self.config.session_start_total;
        }
        gw
    }

    /// Whether any session exists (connected or resumable).
    pub fn has_sessions(&self) -> bool {
        !self.gateway().sessions.is_empty()
    }

    /// Whether any session has a live connection (guild sends need one: 304018 otherwise).
    pub fn has_live_session(&self) -> bool {
        self.gateway().sessions.values().any(|s| s.conn.is_some())
    }

    pub fn sessions(&self) -> Vec<SessionSnapshot> {
        let gw = self.gateway();
        let mut all: Vec<_> = gw
            .sessions
            .values()
            .map(|s| s.snapshot(self.started))
            .collect();
        all.sort_by(|a, b| a.identified_at.cmp(&b.identified_at).then(a.id.cmp(&b.id)));
        all
    }

    /// Handle an Identify: on success the session exists, READY (s = 1) is queued on `conn`.
    pub fn identify(
        &self,
        conn: &ConnLink,
        identify: &Identify,
    ) -> Result<(String, [u32; 2]), Reject> {
        let now = Instant::now();
        let token_ok = identify
            .token
            .strip_prefix("QQBot ")
            .is_some_and(|t| self.token_live(t));
        if !token_ok {
            return Err(Reject::Close(4004, "invalid token"));
        }
        if !self.grant.contains(Intents(identify.intents)) {
            return Err(Reject::InvalidSession(4903, "create session error"));
        }
        let shard = identify.shard.unwrap_or([0, 1]);
        if shard[1] == 0 || shard[0] >= shard[1] {
            return Err(Reject::Close(4010, "invalid shard"));
        }
        let mut gw = self.gateway();
        while gw
            .identify_times
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= IDENTIFY_WINDOW)
        {
            gw.identify_times.pop_front();
        }
        let too_fast = gw.identify_times.len() >= self.config.max_concurrency.max(1) as usize;
        if too_fast
            && (self.config.strict_identify_rate || self.config.scenario == Scenario::RateLimit4008)
        {
            return Err(Reject::Close(4008, "rate limit"));
        }
        if gw.start_remaining == 0 {
            return Err(Reject::Close(4008, "session start limit exceeded"));
        }
        if too_fast {
            let message = format!(
                "Identify on connection {} came within 5 s of {} earlier Identify call(s) \
                 (max_concurrency {}): accepted, but the real platform may close it with 4008 \
                 (rate limit); --strict-identify-rate refuses it here too",
                conn.conn_id,
                gw.identify_times.len(),
                self.config.max_concurrency.max(1),
            );
            tracing::warn!("{message}");
            lock(&self.warnings).push(EmulatorWarning {
                kind: "identify_rate".to_owned(),
                message,
                connection: conn.conn_id,
                offset: now.saturating_duration_since(self.started),
            });
        }
        gw.identify_times.push_back(now);
        gw.start_remaining -= 1;
        gw.start_window_began.get_or_insert(now);

        let id = uuid::Uuid::new_v4().to_string();
        let mut session = Session {
            id: id.clone(),
            shard,
            intents: Intents(identify.intents),
            seq: 0,
            buffer: VecDeque::new(),
            conn: Some(conn.clone()),
            resumes: 0,
            identified_at: now,
            disconnected_at: None,
            last_heartbeat: None,
            trimmed_through: 0,
        };
        let ready = json!({
            "version": 1,
            "session_id": id,
            "user": {"id": BOT_USER_ID, "username": BOT_USERNAME, "bot": true},
            "shard": shard,
        });
        session.push_unbuffered("READY", &platform_json(&ready));
        gw.sessions.insert(id.clone(), session);
        drop(gw);
        self.counters.identifies.fetch_add(1, Ordering::Relaxed);
        self.emit(EmulatorEvent::Identified {
            session_id: id.clone(),
            shard,
        });
        Ok((id, shard))
    }

    /// Handle a Resume: on success the missed dispatches and RESUMED are queued on `conn`.
    pub fn resume(&self, conn: &ConnLink, resume: &Resume) -> Result<(String, usize), Reject> {
        let token = resume.token.strip_prefix("QQBot ").unwrap_or(&resume.token);
        if !self.token_live(token) {
            return Err(Reject::Close(4004, "invalid token"));
        }
        let mut gw = self.gateway();
        if self.config.scenario == Scenario::ResumeReject {
            gw.sessions.remove(&resume.session_id);
            return Err(Reject::InvalidSession(4902, "reset by resume"));
        }
        let Some(session) = gw.sessions.get_mut(&resume.session_id) else {
            return Err(Reject::InvalidSession(4006, "invalid session"));
        };
        let seq = resume.seq.unwrap_or(0);
        if seq > session.seq {
            return Err(Reject::Close(4007, "invalid seq"));
        }
        if let Some(old) = session.conn.take() {
            let _ = old.tx.send(Outbound::Superseded);
        }
        session.conn = Some(conn.clone());
        session.disconnected_at = None;
        session.resumes += 1;
        // Below what the buffer still holds (the client heartbeated past it, or it overflowed):
        // what is left is replayed, the rest is gone; the client sees the jump in `s`.
        let gone = (seq < session.trimmed_through).then(|| (seq + 1, session.trimmed_through));
        let mut replayed = 0;
        for b in session.buffer.iter().filter(|b| b.s > seq) {
            let _ = conn.tx.send(Outbound::Dispatch {
                s: b.s,
                t: b.t.clone(),
                frame: b.frame.clone(),
            });
            replayed += 1;
        }
        session.push_unbuffered("RESUMED", r#""""#);
        let id = session.id.clone();
        drop(gw);
        if let Some((from, to)) = gone {
            let message = format!(
                "Resume of session {id} at seq {seq} on connection {}: s = {from}..={to} were \
                 already dropped from the replay buffer (heartbeated or over the cap) and are not \
                 replayed; the real platform's behaviour here is undocumented",
                conn.conn_id
            );
            tracing::warn!("{message}");
            lock(&self.warnings).push(EmulatorWarning {
                kind: "resume_gap".to_owned(),
                message,
                connection: conn.conn_id,
                offset: Instant::now().saturating_duration_since(self.started),
            });
        }
        self.counters.resumes.fetch_add(1, Ordering::Relaxed);
        self.emit(EmulatorEvent::Resumed {
            session_id: id.clone(),
            replayed,
        });
        Ok((id, replayed))
    }

    /// A heartbeat: remember its seq and trim the replay buffer to it.
    pub fn heartbeat(&self, session_id: Option<&str>, seq: Option<u64>) {
        if let Some(id) = session_id {
            let mut gw = self.gateway();
            if let Some(session) = gw.sessions.get_mut(id) {
                session.last_heartbeat = seq;
                if let Some(acked) = seq.filter(|s| *s <= session.seq) {
                    while let Some(front) = session.buffer.front()
                        && front.s <= acked
                    {
                        session.trimmed_through = front.s;
                        session.buffer.pop_front();
                    }
                }
            }
        }
        self.emit(EmulatorEvent::HeartbeatReceived {
            session_id: session_id.map(str::to_owned),
            seq,
        });
    }

    /// The connection `conn_id` no longer serves `session_id`. With `discard`, the session is
    /// forgotten (not resumable); otherwise it stays resumable for `resume_window`.
    pub fn detach(&self, session_id: &str, conn_id: u64, discard: bool) {
        let mut gw = self.gateway();
        let owned = gw
            .sessions
            .get(session_id)
            .and_then(|s| s.conn.as_ref())
            .is_some_and(|c| c.conn_id == conn_id);
        if discard {
            if owned
                || gw
                    .sessions
                    .get(session_id)
                    .is_some_and(|s| s.conn.is_none())
            {
                gw.sessions.remove(session_id);
            }
        } else if owned && let Some(s) = gw.sessions.get_mut(session_id) {
            s.conn = None;
            s.disconnected_at = Some(Instant::now());
        }
    }

    /// Deliver an event to every session whose intents and shard cover it (or only to `only`,
    /// ignoring shards). `event_id` defaults to `<t>:<uuid v4>`. Returns how many sessions got it.
    pub fn deliver(
        &self,
        t: &str,
        d: &Value,
        event_id: Option<String>,
        only: Option<&str>,
    ) -> usize {
        self.deliver_raw(t, d, &platform_json(d), event_id, only)
    }

    /// [`deliver`](Self::deliver) with the body text sent exactly as given (`d_raw` must be the
    /// JSON text of `d`): replays keep recorded bytes.
    pub fn deliver_raw(
        &self,
        t: &str,
        d: &Value,
        d_raw: &str,
        event_id: Option<String>,
        only: Option<&str>,
    ) -> usize {
        let now = Instant::now();
        let id = event_id.unwrap_or_else(|| format!("{t}:{}", uuid::Uuid::new_v4()));
        lock(&self.passive).remember_event(t, &id, d, now);
        lock(&self.guild_records).observe(t, d, &self.world);
        let event = EventType::from_name(t);
        let t: Arc<str> = Arc::from(t);
        // Webhook mode has no intents or shards: every event goes to the callback URL.
        if let Some(tap) = self.webhook.get() {
            tap.offer(&t, &id, d_raw);
        }
        let mut gw = self.gateway();
        let mut delivered = 0;
        for session in gw.sessions.values_mut() {
            if only.is_some_and(|o| o != session.id) {
                continue;
            }
            if !event.delivered_with(session.intents.bits()) {
                continue;
            }
            if only.is_none() && shard_for(d, session.shard[1]) != session.shard[0] {
                continue;
            }
            session.push(&t, &id, d_raw);
            delivered += 1;
        }
        delivered
    }

    /// Generate the next demo event and deliver it, if any session exists.
    pub fn generate_and_deliver(&self) -> Option<usize> {
        if !self.has_sessions() && self.webhook.get().is_none() {
            return None;
        }
        let event = lock(&self.generator).next_event(self.wall_now());
        Some(self.deliver(event.t, &event.d, Some(event.id), None))
    }

    /// Flood: push one pre-rendered event to the session `session_id` if `conn_id` still owns it.
    /// Returns false when nothing was pushed (session gone, or no pool entry matches its intents).
    pub fn flood_one(
        &self,
        session_id: &str,
        conn_id: u64,
        index: usize,
        event_uuid: &str,
    ) -> bool {
        if self.flood_pool.is_empty() {
            return false;
        }
        let mut gw = self.gateway();
        let Some(session) = gw.sessions.get_mut(session_id) else {
            return false;
        };
        if session.conn.as_ref().is_none_or(|c| c.conn_id != conn_id) {
            return false;
        }
        let n = self.flood_pool.len();
        for k in 0..n {
            let event = &self.flood_pool[(index + k) % n];
            if event
                .intent
                .is_none_or(|bit| session.intents.bits() & bit != 0)
            {
                let id = format!("{}:{event_uuid}", event.t);
                session.push(&event.t, &id, &event.d_raw);
                return true;
            }
        }
        false
    }

    /// Send a fault to the matching connected sessions. Returns how many.
    pub fn fault(&self, target: &FaultTarget, fault: &Fault) -> usize {
        if *fault == Fault::RevokeSecret {
            self.secret_revoked.store(true, Ordering::SeqCst);
            lock(&self.tokens).revoke_all(Instant::now());
        }
        let gw = self.gateway();
        let mut affected = 0;
        for session in gw.sessions.values() {
            if let FaultTarget::Session(id) = target
                && *id != session.id
            {
                continue;
            }
            if let Some(conn) = &session.conn
                && conn.tx.send(Outbound::Fault(fault.clone())).is_ok()
            {
                affected += 1;
            }
        }
        affected
    }
}
