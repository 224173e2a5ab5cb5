//! What the client knows about its shards' sessions, from the items it sees: counters, session
//! ids, the bot user, connected state, and the live shard handles.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use crate::gateway::{ClusterMetrics, GatewayItem, ItemKind, SessionInfo, ShardHandle, ShardId};
use crate::models::ReadyUser;

/// Counters and session state shared by the client, its contexts and its handle.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) started: Instant,
    pub(super) dispatches: AtomicU64,
    pub(super) handler_errors: AtomicU64,
    pub(super) connected: AtomicBool,
    pub(super) sessions: Mutex<Vec<SessionSummary>>,
    /// The running shards (set once the gateway started): live metrics and per-shard state.
    pub(super) shards: Mutex<Option<(Vec<ShardHandle>, tokio::time::Instant)>>,
}

impl Shared {
    pub(super) fn new() -> Shared {
        Shared {
            started: Instant::now(),
            dispatches: AtomicU64::new(0),
            handler_errors: AtomicU64::new(0),
            connected: AtomicBool::new(false),
            sessions: Mutex::new(Vec::new()),
            shards: Mutex::new(None),
        }
    }

    /// Update session state from one item (on the read loop, before the handler runs).
    pub(super) fn observe(&self, item: &GatewayItem) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let slot = |sessions: &mut Vec<SessionSummary>| -> usize {
            match sessions.iter().position(|s| s.shard == item.shard) {
                Some(i) => i,
                None => {
                    sessions.push(SessionSummary {
                        shard: item.shard,
                        session_id: None,
                        bot: None,
                        connected: false,
                        last_seq: None,
                    });
                    sessions.len() - 1
                }
            }
        };
        match &item.kind {
            ItemKind::Dispatch(dispatch) => {
                self.dispatches.fetch_add(1, Ordering::Relaxed);
                let i = slot(&mut sessions);
                if dispatch.seq.is_some() {
                    sessions[i].last_seq = dispatch.seq;
                }
            }
            ItemKind::Ready {
                session_id,
                user_id,
                username,
                ..
            } => {
                let i = slot(&mut sessions);
                sessions[i].session_id = Some(session_id.clone());
                sessions[i].bot = Some(ReadyUser {
                    id: user_id.clone(),
                    username: username.clone(),
                    bot: true,
                });
            }
            // The core publishes its state; the client reads it rather than re-deriving it.
            ItemKind::StateChange { to, .. } => {
                let i = slot(&mut sessions);
                sessions[i].connected = to.is_active();
            }
            _ => return,
        }
        let all = !sessions.is_empty() && sessions.iter().all(|s| s.connected);
        self.connected.store(all, Ordering::Relaxed);
    }

    /// The client stopped: no session is live any more (resume info is kept).
    pub(super) fn disconnect_all(&self) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        for session in sessions.iter_mut() {
            session.connected = false;
        }
        self.connected.store(false, Ordering::Relaxed);
    }

    pub(super) fn metrics(&self) -> Option<ClusterMetrics> {
        let shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        let (handles, started) = shards.as_ref()?;
        Some(ClusterMetrics::collect(handles, started.elapsed()))
    }

    pub(super) fn shard_connected(&self, shard: ShardId) -> bool {
        let shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        match shards.as_ref() {
            Some((handles, _)) => handles
                .iter()
                .any(|h| h.shard() == shard && h.is_connected()),
            // An item stream fed by hand (`run_items`): what its lifecycle items said.
            None => self
                .sessions()
                .iter()
                .any(|s| s.shard == shard && s.connected),
        }
    }

    pub(super) fn sessions(&self) -> Vec<SessionSummary> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// What the client knows about one shard's session, from the items it has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    /// The shard.
    pub shard: ShardId,
    /// Session id from the last READY.
    pub session_id: Option<String>,
    /// The bot user from the last READY.
    pub bot: Option<ReadyUser>,
    /// Whether the session is up (READY or RESUMED seen, no close since).
    pub connected: bool,
    /// Last `s` seen.
    pub last_seq: Option<u64>,
}

impl SessionSummary {
    /// What [`Client::with_resume`](super::Client::with_resume) needs to resume this session after a restart.
    pub fn resume_info(&self) -> Option<SessionInfo> {
        Some(SessionInfo {
            session_id: self.session_id.clone()?,
            last_seq: self.last_seq,
            shard: self.shard,
        })
    }
}
