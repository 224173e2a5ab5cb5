//! The async driver of one shard: does the I/O and timers the [`ShardCore`] asks for.
//!
//! One task owns the socket, the heartbeat deadline and the session; a `select!` multiplexes
//! shutdown, the next deadline and the next frame. Items go to the consumer with `try_send`,
//! so a slow consumer can never delay a heartbeat.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::FutureExt;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until, timeout};

use crate::gateway::config::{FrameDir, FrameTap};
use crate::gateway::core::{Action, ConnectFailure, ReconnectPlan, ShardCore};
use crate::gateway::item::{GatewayItem, ItemKind, ShardId};
use crate::gateway::latency::Latency;
use crate::gateway::metrics::ShardMetrics;
use crate::gateway::queue::IdentifyQueue;
use crate::gateway::receiver::{Gone, Handoff};
use crate::gateway::session::SessionInfo;
use crate::gateway::transport::{Incoming, Transport};
use crate::http::TokenSource;
use crate::protocol::payloads::{Identify, Resume, heartbeat_frame, identify_frame, resume_frame};
use crate::secret::Secret;

/// Frames handled before a due heartbeat is judged.
const MAX_DRAIN: usize = 256;

/// Frames already received that are handled in one burst before items are handed over.
const BURST: usize = 64;
/// How long a connect (TCP + TLS + upgrade) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long flushing a close frame may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a shard waits for room to deliver its final Fatal item.
const FATAL_DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// What other tasks can read about a shard: published by the driver, never read by it.
#[derive(Debug, Clone)]
pub struct ShardShared {
    /// Metrics snapshot.
    pub metrics: ShardMetrics,
    /// Round-trip histogram (merged into cluster totals).
    pub latency: Latency,
    /// The session, if one is held.
    pub session: Option<SessionInfo>,
    /// Whether a session is running.
    pub connected: bool,
    /// When the shard started.
    pub started: Instant,
    /// When the last dispatch was counted (an idle shard's rate reads as 0, not the last
    /// busy second's).
    pub last_event: Instant,
}

/// A read handle on a running shard.
#[derive(Debug, Clone)]
pub struct ShardHandle {
    shard: ShardId,
    shared: Arc<Mutex<ShardShared>>,
}

impl ShardHandle {
    /// Which shard.
    pub fn shard(&self) -> ShardId {
        self.shard
    }

    /// Whether the shard has a running session (READY or RESUMED received, not closed since).
    pub fn is_connected(&self) -> bool {
        self.lock().connected
    }

    /// The session to resume with, if one is held.
    pub fn session_info(&self) -> Option<SessionInfo> {
        self.lock().session.clone()
    }

    /// A metrics snapshot, with `uptime` filled in.
    pub fn metrics(&self) -> ShardMetrics {
        let shared = self.lock();
        let mut metrics = shared.metrics.clone();
        metrics.uptime = shared.started.elapsed();
        if shared.last_event.elapsed() >= Duration::from_secs(1) {
            metrics.events_per_sec = 0.0; // no event in the last full second
        }
        metrics
    }

    pub(crate) fn latency(&self) -> Latency {
        self.lock().latency.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ShardShared> {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Bounded delivery that never drops: items the channel has no room for wait here (at most one
/// burst of frames' worth, because the driver stops reading the socket while any wait). Items
/// are handed over in batches: one channel operation per burst.
struct Delivery {
    tx: Handoff,
    shard: ShardId,
    processed: u64,
    /// Items not yet handed over, oldest first. Handed over together by [`Delivery::flush`]:
    /// one wake-up of the consumer per burst instead of one per item.
    pending: Vec<GatewayItem>,
    /// The last flush found the channel full: what is pending waits for room.
    full: bool,
    /// The wall-clock time of the items queued since the last flush: the frames of one burst
    /// were already received together, so one clock read stamps them all.
    stamp: Option<chrono::DateTime<Utc>>,
}

impl Delivery {
    /// Queue an item for the next [`flush`](Self::flush), stamped with the time the first item
    /// since the last flush was queued (now, for the first).
    fn deliver(&mut self, kind: ItemKind) {
        let received_at = *self.stamp.get_or_insert_with(Utc::now);
        self.pending.push(GatewayItem {
            shard: self.shard,
            received_at,
            kind,
        });
    }

    /// Hand over as many queued items as the channel has room for, in order, without waiting.
    /// Returns whether anything was handed over.
    fn flush(&mut self) -> bool {
        let mut any = false;
        self.full = false;
        self.stamp = None;
        while !self.pending.is_empty() {
            match self.tx.try_send(&mut self.pending, &mut self.processed) {
                Ok(0) => {
                    self.full = true;
                    break;
                }
                Ok(_) => any = true,
                // Nobody is listening any more: there is nobody to lose anything to.
                Err(Gone) => {
                    self.pending.clear();
                    break;
                }
            }
        }
        any
    }

    /// Whether items wait for room (the driver must not read the socket): the last flush left
    /// some behind. Items of the burst being read are pending too, but they are not a backlog.
    fn backlogged(&self) -> bool {
        self.full && !self.pending.is_empty()
    }

    /// After waiting for room: hand over what fits (nothing, and nothing more to wait for,
    /// when the receiver is gone).
    fn after_wait(&mut self, room: Result<(), Gone>) {
        match room {
            Ok(()) => {
                self.flush();
            }
            Err(Gone) => self.pending.clear(),
        }
    }

    /// Hand everything over, waiting for room as long as it takes (the consumer is alive; a
    /// receiver that is gone ends the wait).
    async fn flush_all(&mut self) {
        while !self.pending.is_empty() {
            self.flush();
            if self.pending.is_empty() {
                break;
            }
            let room = self.tx.room().await;
            self.after_wait(room);
        }
    }
}

/// Where the driver goes after a batch of actions.
enum Flow {
    Continue,
    Reconnect(ReconnectPlan),
    Stop,
}

/// Everything one shard task owns.
pub(crate) struct ShardDriver {
    pub(crate) core: ShardCore,
    pub(crate) tokens: Arc<TokenSource>,
    pub(crate) url: Arc<str>,
    pub(crate) queue: Arc<dyn IdentifyQueue>,
    pub(crate) shutdown: watch::Receiver<bool>,
    delivery: Delivery,
    shared: Arc<Mutex<ShardShared>>,
    rate_window: (Instant, u64),
    latency_samples: u64,
    /// Wall-clock time of the last heartbeat sent (the core only knows monotonic time).
    last_heartbeat: Option<chrono::DateTime<Utc>>,
    /// Reused action buffer, so a dispatch costs no allocation beyond its frame and item.
    spare: Vec<Action>,
    /// Raw frame observer (recording).
    tap: Option<FrameTap>,
}

impl ShardDriver {
    pub(crate) fn new(
        core: ShardCore,
        tokens: Arc<TokenSource>,
        url: Arc<str>,
        queue: Arc<dyn IdentifyQueue>,
        shutdown: watch::Receiver<bool>,
        tx: Handoff,
        tap: Option<FrameTap>,
    ) -> (ShardDriver, ShardHandle) {
        let shard = core.shard();
        let now = Instant::now();
        let shared = Arc::new(Mutex::new(ShardShared {
            metrics: core.metrics().clone(),
            latency: Latency::new(),
            session: core.session_info(),
            connected: false,
            started: now,
            last_event: now,
        }));
        let handle = ShardHandle {
            shard,
            shared: Arc::clone(&shared),
        };
        let driver = ShardDriver {
            core,
            tokens,
            url,
            queue,
            shutdown,
            delivery: Delivery {
                tx,
                shard,
                processed: 0,
                pending: Vec::with_capacity(BURST),
                full: false,
                stamp: None,
            },
            shared,
            rate_window: (now, 0),
            latency_samples: 0,
            last_heartbeat: None,
            spare: Vec::with_capacity(8),
            tap,
        };
        (driver, handle)
    }

    /// Run until a fatal close or shutdown; returns the session to resume later, if any.
    pub(crate) async fn run(mut self) -> Option<SessionInfo> {
        let mut plan = self.core.initial_plan();
        while let Flow::Reconnect(next) = self.connect_and_drive(plan).await {
            plan = next;
        }
        // The last items (the close of a shutdown, a fatal reason) reach a consumer that still
        // reads; one that stopped reading is not waited for forever.
        let _ = timeout(FATAL_DELIVERY_TIMEOUT, self.delivery.flush_all()).await;
        self.publish(true);
        self.core.session_info()
    }

    async fn connect_and_drive(&mut self, plan: ReconnectPlan) -> Flow {
        let shard = self.core.shard();
        let mut shutdown = self.shutdown.clone();
        let shutdown_signal = async move {
            while !*shutdown.borrow_and_update() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        };
        tokio::pin!(shutdown_signal);
        // What the last connection produced is handed over before the next one starts.
        tokio::select! {
            biased;
            _ = &mut shutdown_signal => return self.stop().await,
            () = self.delivery.flush_all() => {}
        }
        if !plan.resume {
            let wait = self.queue.wait_hint(shard).saturating_sub(plan.delay);
            if !wait.is_zero() {
                self.delivery
                    .deliver(ItemKind::IdentifyWait { delay: wait });
                self.delivery.flush();
            }
        }
        let prepared = async {
            if !plan.delay.is_zero() {
                tokio::time::sleep(plan.delay).await;
            }
            if !plan.resume {
                self.queue.acquire(shard).await;
            }
            if plan.refresh_token {
                self.tokens.invalidate().await;
            }
        };
        tokio::select! {
            biased;
            _ = &mut shutdown_signal => return self.stop().await,
            _ = prepared => {}
        }
        let actions = self.core.on_connecting(Instant::now());
        self.publish(true);
        let mut none = None;
        match self.execute(actions, &mut none, &Secret::default()).await {
            Flow::Continue => {}
            flow => return flow,
        }
        let connected = async {
            let token = self.tokens.token().await.map_err(|e| {
                let message = format!("access token: {}", error_chain(&e));
                if e.is_auth() {
                    ConnectFailure::TokenAuth(message)
                } else {
                    ConnectFailure::Token(message)
                }
            })?;
            let transport = match timeout(CONNECT_TIMEOUT, Transport::connect(&self.url)).await {
                Ok(Ok(transport)) => transport,
                Ok(Err(e)) => {
                    return Err(ConnectFailure::Transport(format!(
                        "{}: {}",
                        self.url,
                        error_chain(&e)
                    )));
                }
                Err(_) => {
                    return Err(ConnectFailure::Timeout(format!(
                        "{}: no connection within {} s",
                        self.url,
                        CONNECT_TIMEOUT.as_secs()
                    )));
                }
            };
            Ok((token, transport))
        };
        let result = tokio::select! {
            biased;
            _ = &mut shutdown_signal => return self.stop().await,
            result = connected => result,
        };
        let (token, transport) = match result {
            Ok(ok) => ok,
            Err(failure) => {
                let actions = self.core.on_connect_failed(Instant::now(), &failure);
                let mut none = None;
                return self.execute(actions, &mut none, &Secret::default()).await;
            }
        };
        let actions = self.core.on_connected(Instant::now(), &self.url);
        let mut transport = Some(transport);
        match self.execute(actions, &mut transport, &token).await {
            Flow::Continue => {}
            flow => return flow,
        }
        self.drive(transport, &token).await
    }

    async fn stop(&mut self) -> Flow {
        let actions = self.core.on_shutdown(Instant::now());
        let mut none = None;
        self.execute(actions, &mut none, &Secret::default()).await
    }

    /// The read loop of one connection.
    async fn drive(&mut self, mut transport: Option<Transport>, token: &Secret) -> Flow {
        let far = || Instant::now() + Duration::from_secs(86_400);
        let mut armed = self.core.deadline();
        let sleep = sleep_until(armed.unwrap_or_else(far));
        tokio::pin!(sleep);
        loop {
            // Once per burst: hand its items over, then publish the counters.
            self.delivery.flush();
            self.publish(false);
            let deadline = self.core.deadline();
            if deadline != armed {
                armed = deadline;
                sleep.as_mut().reset(deadline.unwrap_or_else(far));
            }
            let Some(socket) = transport.as_mut() else {
                return Flow::Stop;
            };
            if self.delivery.backlogged() {
                // The consumer is behind: stop reading (TCP pushes back on the gateway) until
                // there is room, heartbeating meanwhile.
                match self
                    .stalled(&mut transport, token, sleep.as_mut(), &mut armed)
                    .await
                {
                    Flow::Continue => continue,
                    flow => return flow,
                }
            }
            let actions = tokio::select! {
                biased;
                _ = self.shutdown.changed() => self.core.on_shutdown(Instant::now()),
                _ = &mut sleep, if armed.is_some() => {
                    armed = None; // re-arm from the core's next deadline
                    // Judge the connection only after handling what has already arrived: let the
                    // runtime poll the socket once, then drain every frame that is ready.
                    tokio::task::yield_now().await;
                    match self.drain_ready(&mut transport, token, MAX_DRAIN).await {
                        Flow::Continue => {}
                        flow => return flow,
                    }
                    self.delivery.flush();
                    if self.delivery.backlogged() {
                        // Frames are still unread (the ACK may be among them): judge the
                        // deadline with reads paused.
                        match self.stalled(&mut transport, token, sleep.as_mut(), &mut armed).await {
                            Flow::Continue => continue,
                            flow => return flow,
                        }
                    }
                    self.core.on_heartbeat_due(Instant::now())
                }
                incoming = socket.next() => self.on_incoming(incoming, Instant::now()),
            };
            match self.execute(actions, &mut transport, token).await {
                Flow::Continue => {}
                flow => return flow,
            }
            // Frames that have already arrived are handled as one burst, so their items reach
            // the consumer together (the flush at the top of the loop).
            match self.drain_ready(&mut transport, token, BURST).await {
                Flow::Continue => {}
                flow => return flow,
            }
        }
    }

    /// Wait for room in the consumer's channel without reading the socket; heartbeats and
    /// shutdown go on. Returns when everything pending was handed over.
    async fn stalled(
        &mut self,
        transport: &mut Option<Transport>,
        token: &Secret,
        mut sleep: std::pin::Pin<&mut tokio::time::Sleep>,
        armed: &mut Option<Instant>,
    ) -> Flow {
        let far = || Instant::now() + Duration::from_secs(86_400);
        let since = Instant::now();
        self.core.pause_reads();
        self.publish(true);
        let flow = loop {
            self.delivery.flush();
            if !self.delivery.backlogged() {
                break Flow::Continue;
            }
            let deadline = self.core.deadline();
            if deadline != *armed {
                *armed = deadline;
                sleep.as_mut().reset(deadline.unwrap_or_else(far));
            }
            let actions = tokio::select! {
                biased;
                _ = self.shutdown.changed() => self.core.on_shutdown(Instant::now()),
                _ = sleep.as_mut(), if armed.is_some() => {
                    *armed = None;
                    self.core.on_heartbeat_due(Instant::now())
                }
                room = self.delivery.tx.room() => {
                    self.delivery.after_wait(room);
                    continue;
                }
            };
            match self.execute(actions, transport, token).await {
                Flow::Continue => {}
                flow => break flow,
            }
        };
        self.core.resume_reads(since.elapsed());
        self.publish(true);
        flow
    }

    /// Handle up to `limit` frames that have already arrived, without waiting for more. (`execute`
    /// hands pending items over whenever the connection ends.)
    async fn drain_ready(
        &mut self,
        transport: &mut Option<Transport>,
        token: &Secret,
        limit: usize,
    ) -> Flow {
        // Frames that had already arrived together share one clock read; it is read again after
        // anything that may have waited.
        let mut now = Instant::now();
        for _ in 0..limit {
            if self.delivery.backlogged() {
                if self.delivery.flush() {
                    self.publish(false);
                }
                if self.delivery.backlogged() {
                    break; // no room: stop reading until the consumer catches up
                }
            }
            let Some(socket) = transport.as_mut() else {
                break;
            };
            let Some(incoming) = socket.next().now_or_never() else {
                break;
            };
            let mut actions = self.on_incoming(incoming, now);
            // Nearly every frame is a dispatch and nothing else: queue it without the general
            // action loop.
            if let [Action::Emit(ItemKind::Dispatch(_))] = actions.as_slice()
                && let Some(Action::Emit(kind)) = actions.pop()
            {
                self.delivery.deliver(kind);
                self.spare = actions;
                continue;
            }
            match self.execute(actions, transport, token).await {
                Flow::Continue => {}
                flow => return flow,
            }
            now = Instant::now();
        }
        Flow::Continue
    }

    /// What the core makes of what the socket produced at `now`.
    fn on_incoming(&mut self, incoming: Incoming, now: Instant) -> Vec<Action> {
        match incoming {
            Incoming::Frame(frame) => {
                let mut actions = std::mem::take(&mut self.spare);
                self.core.on_frame_into(now, &frame, &mut actions);
                // Dispatches reach consumers as items; the tap sees every other frame.
                if let Some(tap) = &self.tap
                    && !self.core.last_frame_was_dispatch()
                {
                    tap.observe(FrameDir::Rx, self.delivery.shard, &frame);
                }
                actions
            }
            Incoming::Garbage => vec![Action::Emit(ItemKind::Error {
                message: "binary frame that is not UTF-8".into(),
            })],
            Incoming::Closed { code, reason } => self.core.on_close(now, code, &reason),
            Incoming::Broken { error } => self.core.on_transport_error(now, &error),
        }
    }

    /// Carry out a batch of actions in order.
    async fn execute(
        &mut self,
        actions: Vec<Action>,
        transport: &mut Option<Transport>,
        token: &Secret,
    ) -> Flow {
        let mut queue = VecDeque::from(actions);
        let mut flow = Flow::Continue;
        let mut lifecycle = false;
        while let Some(action) = queue.pop_front() {
            let frame = match action {
                Action::Emit(kind @ ItemKind::Fatal { .. }) => {
                    trace_item(self.delivery.shard, &kind);
                    self.delivery.deliver(kind);
                    let _ = timeout(FATAL_DELIVERY_TIMEOUT, self.delivery.flush_all()).await;
                    lifecycle = true;
                    continue;
                }
                Action::Emit(kind) => {
                    let is_lifecycle = !matches!(kind, ItemKind::Dispatch(_));
                    if is_lifecycle {
                        trace_item(self.delivery.shard, &kind);
                    }
                    lifecycle |= is_lifecycle;
                    self.delivery.deliver(kind);
                    continue;
                }
                Action::Reconnect(plan) => {
                    flow = Flow::Reconnect(plan);
                    continue;
                }
                Action::Stop => {
                    flow = Flow::Stop;
                    continue;
                }
                Action::Close { code, reason } => {
                    let _ = self.delivery.flush();
                    if let Some(socket) = transport.take() {
                        let _ = timeout(CLOSE_TIMEOUT, socket.close(code, reason)).await;
                    }
                    continue;
                }
                Action::SendHeartbeat { seq } => {
                    self.last_heartbeat = Some(Utc::now());
                    heartbeat_frame(seq)
                }
                Action::SendIdentify { intents, shard } => {
                    identify_frame(&Identify::new(token, intents, shard.as_array()))
                }
                Action::SendResume { session_id, seq } => {
                    resume_frame(&Resume::new(token, session_id, seq))
                }
            };
            let Some(socket) = transport.as_mut() else {
                continue;
            };
            if let Some(tap) = &self.tap {
                tap.observe(FrameDir::Tx, self.delivery.shard, &frame);
            }
            let _ = self.delivery.flush();
            if socket.send(frame).await.is_err() {
                // The socket is gone: handle it as a drop, after the rest of this batch.
                transport.take();
                queue.extend(self.core.on_close(Instant::now(), None, "send failed"));
            }
        }
        // Keep the (empty) buffer for the next frame: VecDeque <-> Vec conversions reuse it.
        queue.clear();
        self.spare = Vec::from(queue);
        // Lifecycle items and ends of connection go out at once; dispatches wait for the end of
        // their burst.
        // (Dispatch counters are published once per burst, by the read loop.)
        if lifecycle || !matches!(flow, Flow::Continue) {
            let _ = self.delivery.flush();
            self.publish(true);
        }
        if !matches!(flow, Flow::Continue)
            && let Some(socket) = transport.take()
        {
            drop(socket);
        }
        flow
    }

    /// Copy the core's counters into the shared snapshot: only scalars on the dispatch path.
    fn publish(&mut self, full: bool) {
        let now = Instant::now();
        let core = self.core.metrics();
        let (window_start, window_count) = self.rate_window;
        let elapsed = now.saturating_duration_since(window_start);
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        if core.events_received != shared.metrics.events_received {
            shared.last_event = now;
        }
        if elapsed >= Duration::from_secs(1) {
            shared.metrics.events_per_sec =
                (core.events_received - window_count) as f64 / elapsed.as_secs_f64();
            self.rate_window = (now, core.events_received);
        }
        if full {
            let eps = shared.metrics.events_per_sec;
            shared.metrics.clone_from(core);
            shared.metrics.events_per_sec = eps;
            shared.metrics.last_heartbeat = self.last_heartbeat;
            shared.session = self.core.session_info();
            shared.connected = self.core.is_connected();
            let samples = self.core.latency().summary().samples;
            if samples != self.latency_samples {
                self.latency_samples = samples;
                shared.latency = self.core.latency().clone();
            }
        } else {
            shared.metrics.events_received = core.events_received;
            shared.metrics.last_seq = core.last_seq;
            shared.metrics.duplicates_dropped = core.duplicates_dropped;
            if let Some(session) = shared.session.as_mut() {
                session.last_seq = core.last_seq;
            }
        }
        shared.metrics.events_processed = self.delivery.processed;
    }
}

/// Lifecycle items as tracing events (target `qqbot::gateway::shard`, so a filter such as
/// `qqbot::gateway=debug` shows connections, closes with their cause, resumes, identify waits and
/// backoff; heartbeats at `trace`).
fn trace_item(shard: ShardId, kind: &ItemKind) {
    use tracing::{debug, error, info, trace, warn};
    let shard = shard.to_string();
    match kind {
        ItemKind::Dispatch(_) => {}
        ItemKind::Connected { url, attempt } => debug!(%shard, %url, attempt, "connected"),
        ItemKind::Hello { heartbeat_interval } => {
            debug!(%shard, interval_ms = heartbeat_interval.as_millis() as u64, "hello")
        }
        ItemKind::Identifying { intents } => debug!(%shard, intents, "identify sent"),
        ItemKind::Resuming { session_id, seq } => {
            debug!(%shard, %session_id, seq = ?seq, "resume sent")
        }
        ItemKind::Ready {
            session_id,
            username,
            ..
        } => info!(%shard, %session_id, %username, "ready"),
        ItemKind::Resumed {
            replayed,
            recovered_in,
            ..
        } => info!(
            %shard,
            replayed,
            recovered_ms = recovered_in.map(|d| d.as_millis() as u64),
            "resumed"
        ),
        ItemKind::HeartbeatSent { seq } => trace!(%shard, seq = ?seq, "heartbeat sent"),
        ItemKind::HeartbeatAck { rtt } => {
            trace!(%shard, rtt_us = rtt.as_micros() as u64, "heartbeat ack")
        }
        ItemKind::ReconnectRequested => debug!(%shard, "op 7: reconnect requested"),
        ItemKind::InvalidSession { resumable, reason } => {
            warn!(%shard, resumable, %reason, "invalid session (op 9)")
        }
        ItemKind::Closed {
            code,
            reason,
            action,
            cause,
            ..
        } => warn!(
            %shard,
            code = ?code,
            cause = cause.key(),
            %reason,
            next = action.key(),
            "connection closed"
        ),
        ItemKind::IdentifyWait { delay } => {
            debug!(%shard, wait_ms = delay.as_millis() as u64, "waiting for the identify window")
        }
        ItemKind::Backoff {
            delay,
            attempt,
            resume,
        } => debug!(
            %shard,
            delay_ms = delay.as_millis() as u64,
            attempt,
            resume,
            "backing off"
        ),
        ItemKind::Lagged { dropped } => warn!(%shard, dropped, "items dropped"),
        ItemKind::Gap { after, next } => {
            warn!(%shard, after, next, "resume gap: events not replayed")
        }
        ItemKind::Error { message } => warn!(%shard, %message, "gateway error"),
        ItemKind::StateChange { from, to } => {
            debug!(%shard, from = from.name(), to = to.name(), "state")
        }
        ItemKind::Fatal {
            reason,
            code,
            cause,
            ..
        } => error!(%shard, code = ?code, cause = cause.key(), %reason, "shard stopped"),
    }
}

/// `error: cause: cause` on one line (no secrets: errors never carry them). A cause whose text
/// the previous layer already showed (`IO error: refused` over `refused`) is not repeated.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut last = text.clone();
    let mut source = error.source();
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !last.contains(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        last = shown;
        source = cause.source();
    }
    text
}
