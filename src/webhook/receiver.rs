//! The webhook receiver: an HTTP(S) endpoint QQ POSTs callbacks to.
//!
//! Every request is checked in this order, and the first failure answers at once:
//!
//! | check | status |
//! |---|---|
//! | method is `POST` | 405 |
//! | path matches (when restricted) | 404 |
//! | `X-Bot-Appid` equals the app id | 403 |
//! | `X-Signature-Timestamp` is unix seconds within the window | 401 |
//! | `X-Signature-Ed25519` verifies over timestamp ‖ raw body | 401 |
//! | `Content-Length` (or the body read so far) within [`MAX_BODY`] | 413 |
//! | the body arrives within the body timeout | 408 |
//! | the body is a UTF-8 JSON envelope (op 13 with `d`, op 0 with `t`) | 400 |
//!
//! Connections are served over HTTP/1.1 with limits: a request's headers must arrive within
//! [`DEFAULT_HEADER_TIMEOUT`] (10 s) and its body within [`DEFAULT_BODY_TIMEOUT`] (30 s) of them;
//! at most [`DEFAULT_MAX_CONNECTIONS`] (256) are served at once, and a connection beyond that is
//! closed as soon as it is accepted (QQ retries). The timeouts bound how long a slow client can
//! hold a slot, so slots keep freeing up for valid deliveries.
//!
//! op 13 is answered with the signed `plain_token`; op 0 is queued with `try_send` and ACKed with
//! `200 {"op":12,"d":0}` before any consumer sees it. A full queue answers `503 {"op":12,"d":1}`
//! so the platform redelivers instead of the event being lost. Other opcodes are ACKed and counted.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::payload::{
    ACK_BODY, HEADER_APP_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, NACK_BODY, ValidationAnswer,
    ValidationRequest,
};
use super::sign::{KeyError, PublicKey, SignatureError, WebhookKey};
use super::tls::{TlsError, TlsFiles, TlsListener, server_config};
use crate::gateway::item::{Dispatch, GatewayItem, ItemKind, ShardId};
use crate::output::dedup::Dedup;
use crate::protocol::{Envelope, EnvelopeError, EventNames, Peeked};
use crate::secret::Secret;

/// Default replay-protection window for `X-Signature-Timestamp`.
pub const DEFAULT_TIMESTAMP_WINDOW: Duration = Duration::from_secs(300);
/// Default capacity of the item queue.
pub const DEFAULT_QUEUE: usize = 1024;
/// The largest request body accepted: 2 MiB. A larger `Content-Length` is answered 413 before
/// anything is read; a body without one is cut at this size.
pub const MAX_BODY: usize = 2 * 1024 * 1024;
/// Default time a client has to send the whole body once its headers have arrived.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a client has to send a request's headers (the connection is closed after it).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of connections served at once; more are closed as soon as they are accepted.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// How to run a receiver. Build with [`ReceiverConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub addr: SocketAddr,
    /// Only accept this path (e.g. `/qqbot`); `None` accepts any path.
    pub path: Option<String>,
    /// The bot's app id: `X-Bot-Appid` must equal it.
    pub app_id: String,
    /// The bot secret: the verification and op 13 signing key is derived from it.
    pub secret: Secret,
    /// Refuse timestamps further than this from now (either way); `None` disables the check.
    pub timestamp_window: Option<Duration>,
    /// Drop redeliveries (an event `id` seen before) after ACKing them. They are counted either way.
    pub dedup: bool,
    /// Serve HTTPS with this certificate and key.
    pub tls: Option<TlsFiles>,
    /// Capacity of the item queue; when full, dispatches are answered 503 so QQ retries.
    pub queue: usize,
    /// Time a client has to send the whole body after its headers (408 after that).
    pub body_timeout: Duration,
    /// Time a client has to send a request's headers; the connection is closed after it.
    pub header_timeout: Duration,
    /// Connections served at once; a connection beyond it is closed when accepted. The timeouts
    /// bound how long a slow client holds a slot.
    pub max_connections: usize,
}

impl ReceiverConfig {
    /// Defaults: any path, a 300 s timestamp window, dedup on, plain HTTP, a 1024-item queue.
    pub fn new(addr: SocketAddr, app_id: impl Into<String>, secret: Secret) -> ReceiverConfig {
        ReceiverConfig {
            addr,
            path: None,
            app_id: app_id.into(),
            secret,
            timestamp_window: Some(DEFAULT_TIMESTAMP_WINDOW),
            dedup: true,
            tls: None,
            queue: DEFAULT_QUEUE,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// The receiver could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// No key could be derived from the secret.
    #[error("cannot derive the webhook key")]
    Key(#[source] KeyError),
    /// The certificate or key could not be loaded.
    #[error("cannot set up HTTPS")]
    Tls(#[source] TlsError),
}

/// Why a request was refused (logged, counted and reported as an `Error` item).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Not a POST.
    #[error("method not allowed")]
    WrongMethod,
    /// The path is not the configured one.
    #[error("unknown path (expected {expected})")]
    WrongPath {
        /// The configured path.
        expected: String,
    },
    /// `X-Bot-Appid` missing or different.
    #[error("wrong app id (X-Bot-Appid {}, expected {expected})", match got {
        Some(got) => format!("`{}`", crate::output::human::snippet(got, 40)),
        None => "missing".to_owned(),
    })]
    WrongAppId {
        /// What arrived (`None` when absent).
        got: Option<String>,
        /// The configured app id.
        expected: String,
    },
    /// `X-Signature-Timestamp` missing or not unix seconds.
    #[error("bad or missing X-Signature-Timestamp")]
    BadTimestamp,
    /// The timestamp is outside the window (replay protection).
    #[error("stale timestamp ({skew_secs} s from now, window {window_secs} s)")]
    StaleTimestamp {
        /// Signed distance from now in seconds (negative: in the past).
        skew_secs: i64,
        /// The window.
        window_secs: u64,
    },
    /// The signature is missing, malformed or does not verify.
    #[error("bad signature: {0}")]
    Signature(SignatureError),
    /// The body is larger than [`MAX_BODY`] (by its `Content-Length`, or as it arrived).
    #[error("body larger than {} MiB", limit / (1024 * 1024))]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body did not arrive within the body timeout.
    #[error("body not received within {} s", timeout.as_secs_f64())]
    BodyTimeout {
        /// The timeout.
        timeout: Duration,
    },
    /// The body could not be read (the client went away, or bad chunked encoding).
    #[error("cannot read the body")]
    BodyUnreadable,
    /// The body is not UTF-8.
    #[error("body is not UTF-8")]
    NotUtf8,
    /// The body is not a JSON envelope.
    #[error("body is not a JSON envelope: {0}")]
    NotEnvelope(EnvelopeError),
    /// op 13 without a usable `d`.
    #[error("op 13 without d.plain_token / d.event_ts")]
    BadValidation,
    /// op 0 without `t`.
    #[error("dispatch without t")]
    DispatchWithoutT,
}

impl Rejection {
    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::WrongMethod => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::WrongPath { .. } => StatusCode::NOT_FOUND,
            Rejection::WrongAppId { .. } => StatusCode::FORBIDDEN,
            Rejection::BadTimestamp
            | Rejection::StaleTimestamp { .. }
            | Rejection::Signature(_) => StatusCode::UNAUTHORIZED,
            Rejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Rejection::BodyUnreadable
            | Rejection::NotUtf8
            | Rejection::NotEnvelope(_)
            | Rejection::BadValidation
            | Rejection::DispatchWithoutT => StatusCode::BAD_REQUEST,
        }
    }
}

/// Counters since start. Read with [`WebhookReceiver::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReceiverStats {
    /// Requests seen.
    pub requests: u64,
    /// op 13 validations answered.
    pub validations: u64,
    /// Dispatches queued.
    pub dispatches: u64,
    /// Dispatches whose event id was seen before (dropped when dedup is on).
    pub redeliveries: u64,
    /// Redeliveries dropped by dedup (ACKed, never queued): duplicates the consumer never saw.
    pub duplicates_dropped: u64,
    /// Dispatches answered 503 because the queue was full (QQ retries them).
    pub overflow: u64,
    /// Verified requests with an opcode other than 0 or 13 (ACKed).
    pub other_ops: u64,
    /// All rejected requests.
    pub rejected: u64,
    /// Rejected: 401 signature.
    pub bad_signature: u64,
    /// Rejected: 401 timestamp missing or outside the window.
    pub bad_timestamp: u64,
    /// Rejected: 403 app id.
    pub wrong_app_id: u64,
    /// Rejected: 400 body, 408 body timeout, 413 body too large.
    pub bad_body: u64,
    /// Rejected: 405 method or 404 path.
    pub wrong_route: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    validations: AtomicU64,
    dispatches: AtomicU64,
    redeliveries: AtomicU64,
    duplicates_dropped: AtomicU64,
    overflow: AtomicU64,
    other_ops: AtomicU64,
    bad_signature: AtomicU64,
    bad_timestamp: AtomicU64,
    wrong_app_id: AtomicU64,
    bad_body: AtomicU64,
    wrong_route: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    fn snapshot(&self) -> ReceiverStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut s = ReceiverStats {
            requests: get(&self.requests),
            validations: get(&self.validations),
            dispatches: get(&self.dispatches),
            redeliveries: get(&self.redeliveries),
            duplicates_dropped: get(&self.duplicates_dropped),
            overflow: get(&self.overflow),
            other_ops: get(&self.other_ops),
            rejected: 0,
            bad_signature: get(&self.bad_signature),
            bad_timestamp: get(&self.bad_timestamp),
            wrong_app_id: get(&self.wrong_app_id),
            bad_body: get(&self.bad_body),
            wrong_route: get(&self.wrong_route),
        };
        s.rejected =
            s.bad_signature + s.bad_timestamp + s.wrong_app_id + s.bad_body + s.wrong_route;
        s
    }

    fn count(&self, rejection: &Rejection) {
        bump(match rejection {
            Rejection::WrongMethod | Rejection::WrongPath { .. } => &self.wrong_route,
            Rejection::WrongAppId { .. } => &self.wrong_app_id,
            Rejection::BadTimestamp | Rejection::StaleTimestamp { .. } => &self.bad_timestamp,
            Rejection::Signature(_) => &self.bad_signature,
            _ => &self.bad_body,
        });
    }
}

struct Ctx {
    path: Option<String>,
    app_id: String,
    key: WebhookKey,
    public: PublicKey,
    window: Option<Duration>,
    dedup: bool,
    seen: Mutex<Dedup>,
    tx: mpsc::Sender<GatewayItem>,
    capacity: usize,
    body_timeout: Duration,
    counters: Counters,
}

/// A running receiver. Dropping it stops the server.
#[derive(Debug)]
pub struct WebhookReceiver {
    addr: SocketAddr,
    tls: bool,
    path: Option<String>,
    public: PublicKey,
    ctx: Arc<CtxHandle>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Keeps `Ctx` out of `Debug` (it holds the key).
struct CtxHandle(Arc<Ctx>);

impl std::fmt::Debug for CtxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ctx")
    }
}

impl WebhookReceiver {
    /// Bind and start serving. Returns the handle and the item stream: one
    /// `ItemKind::Dispatch` per accepted event (shard `[0,1]`, `seq: None`, the raw body as
    /// `frame`), plus an `ItemKind::Error` per rejected request and per connection that failed at
    /// the HTTP level (400, 431, header timeout) while the queue is less than half full (beyond
    /// that, a `tracing` warning instead: each is reported once either way). The server stops
    /// when the handle is dropped or shut down.
    pub async fn bind(
        config: ReceiverConfig,
    ) -> Result<(WebhookReceiver, mpsc::Receiver<GatewayItem>), ReceiverError> {
        let key = WebhookKey::from_secret(&config.secret).map_err(ReceiverError::Key)?;
        let tls = config
            .tls
            .as_ref()
            .map(server_config)
            .transpose()
            .map_err(ReceiverError::Tls)?;
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| ReceiverError::Bind {
                    addr: config.addr,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ReceiverError::Bind {
                addr: config.addr,
                source,
            })?;
        let capacity = config.queue.max(1);
        let (tx, rx) = mpsc::channel(capacity);
        let public = key.public_key();
        let path = config.path.map(|p| normalize_path(&p));
        let ctx = Arc::new(Ctx {
            path: path.clone(),
            app_id: config.app_id,
            key,
            public,
            window: config.timestamp_window,
            dedup: config.dedup,
            seen: Mutex::new(Dedup::default()),
            tx,
            capacity,
            body_timeout: config.body_timeout,
            counters: Counters::default(),
        });
        let app = Router::new().fallback(handle).with_state(ctx.clone());
        let reporter = Arc::clone(&ctx);
        let (stop, stop_rx) = watch::channel(false);
        let is_tls = tls.is_some();
        let limits = Limits {
            header_timeout: config.header_timeout,
            max_connections: config.max_connections.max(1),
        };
        let task = tokio::spawn(async move {
            let ctx = reporter;
            match tls {
                Some(tls) => {
                    serve(TlsListener::new(listener, tls), app, limits, stop_rx, ctx).await;
                }
                None => {
                    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                        let _ = tcp.set_nodelay(true);
                    });
                    serve(listener, app, limits, stop_rx, ctx).await;
                }
            }
        });
        tracing::info!(%addr, tls = is_tls, "webhook receiver listening");
        Ok((
            WebhookReceiver {
                addr,
                tls: is_tls,
                path,
                public,
                ctx: Arc::new(CtxHandle(ctx)),
                stop,
                task: Some(task),
            },
            rx,
        ))
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http(s)://ADDR/PATH`: where to POST (`/` when any path is accepted).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!(
            "{scheme}://{}{}",
            self.addr,
            self.path.as_deref().unwrap_or("/")
        )
    }

    /// Whether it serves HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The public key requests must be signed for (safe to print).
    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Counters since start.
    pub fn stats(&self) -> ReceiverStats {
        self.ctx.0.counters.snapshot()
    }

    /// Stop accepting, let in-flight requests finish (up to 5 s), then return the final
    /// counters.
    pub async fn shutdown(mut self) -> ReceiverStats {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.stats()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Connection-level limits.
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_timeout: Duration,
    max_connections: usize,
}

/// Accept connections and serve each over HTTP/1.1 with a header-read timeout, at most
/// `max_connections` at once (one more is closed at once, logged once until a slot frees). On
/// `stop`, stop accepting and let open connections finish.
async fn serve<L: axum::serve::Listener>(
    mut listener: L,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    ctx: Arc<Ctx>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut connections = tokio::task::JoinSet::new();
    let mut warned = false;
    loop {
        let (io, _) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = async { stop.wait_for(|s| *s).await.is_ok() } => break,
        };
        // Reap finished connections so the set stays bounded by the limit.
        while connections.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if !warned {
                tracing::warn!(
                    limit = limits.max_connections,
                    "webhook: connection limit reached; closing new connections until one ends"
                );
                warned = true;
            }
            drop(io);
            continue;
        };
        warned = false;
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let mut stop = stop.clone();
        let ctx = Arc::clone(&ctx);
        connections.spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    // HTTP-level failures (a malformed request or oversized head, answered 400 or
                    // 431 by hyper; a header timeout): once per connection, like a rejection.
                    if let Err(e) = result
                        && !e.is_incomplete_message()
                    {
                        ctx.report(format!("webhook: closed a connection: {e}"));
                    }
                }
                _ = async { stop.wait_for(|s| *s).await.is_ok() } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    while connections.join_next().await.is_some() {}
}

fn normalize_path(path: &str) -> String {
    let trimmed = path.trim();
    if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

async fn handle(
    State(ctx): State<Arc<Ctx>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    bump(&ctx.counters.requests);
    let body = match ctx.read_body(&headers, body).await {
        Ok(body) => body,
        Err(rejection) => return ctx.reject(&method, uri.path(), rejection),
    };
    match ctx.process(&method, uri.path(), &headers, body) {
        Ok(response) => response,
        Err(rejection) => ctx.reject(&method, uri.path(), rejection),
    }
}

impl Ctx {
    /// The whole body, within [`MAX_BODY`] and the body timeout. A declared length over the
    /// limit is refused before anything is read.
    async fn read_body(&self, headers: &HeaderMap, body: Body) -> Result<Bytes, Rejection> {
        let too_large = Rejection::TooLarge { limit: MAX_BODY };
        if let Some(length) = headers.get(axum::http::header::CONTENT_LENGTH)
            && length
                .to_str()
                .ok()
                .and_then(|l| l.trim().parse::<u64>().ok())
                .is_none_or(|l| l > MAX_BODY as u64)
        {
            return Err(too_large);
        }
        let read = async {
            use futures_util::StreamExt as _;
            let mut stream = body.into_data_stream();
            let mut bytes = Vec::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|_| Rejection::BodyUnreadable)?;
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(too_large);
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(Bytes::from(bytes))
        };
        tokio::time::timeout(self.body_timeout, read)
            .await
            .unwrap_or(Err(Rejection::BodyTimeout {
                timeout: self.body_timeout,
            }))
    }

    fn process(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Response, Rejection> {
        if method != Method::POST {
            return Err(Rejection::WrongMethod);
        }
        if let Some(expected) = &self.path
            && path != expected
        {
            return Err(Rejection::WrongPath {
                expected: expected.clone(),
            });
        }
        let app_id = headers
            .get(HEADER_APP_ID)
            .map(|v| String::from_utf8_lossy(v.as_bytes()));
        if app_id.as_deref().map(str::trim) != Some(self.app_id.as_str()) {
            return Err(Rejection::WrongAppId {
                got: app_id.map(|a| a.into_owned()),
                expected: self.app_id.clone(),
            });
        }
        let timestamp = header(headers, HEADER_TIMESTAMP).ok_or(Rejection::BadTimestamp)?;
        self.check_timestamp(timestamp)?;
        let signature = match headers.get(HEADER_SIGNATURE) {
            None => "",
            Some(value) => value
                .to_str()
                .map_err(|_| Rejection::Signature(SignatureError::Malformed))?,
        };
        self.public
            .verify(timestamp, &body, signature)
            .map_err(Rejection::Signature)?;
        let text = String::from_utf8(body.into()).map_err(|_| Rejection::NotUtf8)?;
        let frame: Arc<str> = Arc::from(text);
        let env = Envelope::peek(&frame).map_err(Rejection::NotEnvelope)?;
        match env.op {
            13 => {
                let request: ValidationRequest = env
                    .d
                    .and_then(|d| serde_json::from_str(d.get()).ok())
                    .ok_or(Rejection::BadValidation)?;
                let answer = ValidationAnswer::sign(&self.key, &request);
                bump(&self.counters.validations);
                tracing::info!("webhook: answered op 13 callback validation");
                let body = serde_json::to_string(&answer).expect("strings always serialise");
                Ok(json(StatusCode::OK, body))
            }
            0 => {
                if env.t.is_none() {
                    return Err(Rejection::DispatchWithoutT);
                }
                // `id` and `d` located in the frame, as the shard and the recording reader do.
                let peeked = Peeked::from_envelope(&env, &frame, &mut EventNames::default());
                // Webhook bodies carry no `s`.
                let peeked = Peeked {
                    seq: None,
                    ..peeked
                };
                let dispatch = Dispatch::from_peeked(peeked, || Arc::from(""), frame.clone());
                Ok(self.enqueue(dispatch))
            }
            op => {
                bump(&self.counters.other_ops);
                tracing::warn!(op, "webhook: ACKed a request with an unexpected opcode");
                Ok(json(StatusCode::OK, ACK_BODY.to_owned()))
            }
        }
    }

    fn check_timestamp(&self, timestamp: &str) -> Result<(), Rejection> {
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| Rejection::BadTimestamp)?;
        let Some(window) = self.window else {
            return Ok(());
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let skew = ts.saturating_sub(now);
        if skew.unsigned_abs() > window.as_secs() {
            return Err(Rejection::StaleTimestamp {
                skew_secs: skew,
                window_secs: window.as_secs(),
            });
        }
        Ok(())
    }

    /// Queue a verified dispatch and ACK it; 503 when the queue is full (nothing recorded, so the
    /// redelivery is not mistaken for a duplicate).
    fn enqueue(&self, dispatch: Dispatch) -> Response {
        let permit = match self.tx.try_reserve() {
            Ok(permit) => permit,
            Err(_) => {
                bump(&self.counters.overflow);
                tracing::warn!(t = %dispatch.t, "webhook: item queue full; answered 503 so QQ redelivers");
                return json(StatusCode::SERVICE_UNAVAILABLE, NACK_BODY.to_owned());
            }
        };
        if let Some(id) = dispatch.id() {
            let first = self
                .seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .first_time(id);
            if !first {
                bump(&self.counters.redeliveries);
                tracing::info!(id, dropped = self.dedup, "webhook: redelivered event");
                if self.dedup {
                    bump(&self.counters.duplicates_dropped);
                    return json(StatusCode::OK, ACK_BODY.to_owned());
                }
            }
        }
        bump(&self.counters.dispatches);
        permit.send(GatewayItem {
            shard: ShardId::ONE,
            received_at: chrono::Utc::now(),
            kind: ItemKind::Dispatch(dispatch),
        });
        json(StatusCode::OK, ACK_BODY.to_owned())
    }

    /// Report a rejection once: as an `ItemKind::Error` item (the consumer shows and counts it)
    /// while the queue is less than half full, else as a `tracing` warning. Half the queue
    /// stays for events: a flood of bad requests must not push them out.
    fn report(&self, message: String) {
        let queued = self.tx.capacity() > self.capacity / 2
            && self
                .tx
                .try_send(GatewayItem {
                    shard: ShardId::ONE,
                    received_at: chrono::Utc::now(),
                    kind: ItemKind::Error {
                        message: message.clone(),
                    },
                })
                .is_ok();
        if queued {
            tracing::debug!("{message}");
        } else {
            tracing::warn!("{message}");
        }
    }

    fn reject(&self, method: &Method, path: &str, rejection: Rejection) -> Response {
        self.counters.count(&rejection);
        let status = rejection.status();
        let message = format!(
            "webhook: rejected {method} {path}: {rejection} ({})",
            status.as_u16()
        );
        self.report(message);
        let body = serde_json::json!({ "error": rejection.to_string() }).to_string();
        let mut response = json(status, body);
        if rejection == Rejection::WrongMethod {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
        }
        response
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn json(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
