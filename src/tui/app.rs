//! The dashboard's state: a pure reducer over [`GatewayItem`]s and key presses.
//!
//! [`App`] is plain data. It does no I/O and never reads the clock: every time-dependent value is
//! computed from the `now` handed to [`App::apply`] and [`App::tick`]. Statistics are updated
//! incrementally per item (O(1), no unbounded growth), so drawing only reads them.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::gateway::{GatewayItem, ItemKind, ShardId, ShardState};
use crate::http::reply::Scene;
use crate::output::Stats;
use crate::output::human::describe;

pub use super::shard::{FleetRead, FleetView, LastClose, ShardView, state_label};

/// How many entries the recent-events log keeps.
pub const LOG_CAPACITY: usize = 1000;
/// How many seconds of event-rate history are kept (the chart shows what fits).
pub const RATE_WINDOW_SECS: usize = 300;
/// How many heartbeat RTT samples are kept per shard for the latency chart.
pub const RTT_SAMPLES: usize = 240;
/// Most rows a fleet's shard count creates up front (a larger count only adds the rows seen).
pub const MAX_ROWS: u32 = 4096;
/// Seconds over which the per-type rate is averaged.
pub const TYPE_RATE_SECS: usize = 10;

/// What the status bar says about the run; fixed for the life of the dashboard.
#[derive(Debug, Clone)]
pub struct Header {
    /// Where items come from: `sandbox`, `production`, `emulator`, `replay FILE`.
    pub source: String,
    /// Intents as text (names or bits), as the CLI resolved them.
    pub intents: String,
    /// How many shards the cluster runs (rows are created up front for each).
    pub shards: u32,
    /// Offset used to print wall-clock times (the CLI passes the local offset; tests pass UTC).
    pub utc_offset: FixedOffset,
    /// The items come from a recording (its end reads "replay finished").
    pub replay: bool,
    /// The items are events read from a stream (`--from nats://…`): no connection lifecycle
    /// comes with them, so a shard with events shows `via stream`.
    pub stream: bool,
}

impl Header {
    /// A header with times shown in UTC.
    pub fn new(source: impl Into<String>, intents: impl Into<String>, shards: u32) -> Header {
        Header {
            source: source.into(),
            intents: intents.into(),
            shards,
            utc_offset: FixedOffset::east_opt(0).expect("zero offset is valid"),
            replay: false,
            stream: false,
        }
    }
}

/// Facts the gateway items do not carry, filled by the CLI (from `GET /gateway/bot` and the token
/// source). Every field is optional: unknown values show as `-`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    /// `session_start_limit.total`.
    pub identify_total: Option<u32>,
    /// `session_start_limit.remaining`.
    pub identify_remaining: Option<u32>,
    /// When the identify budget resets (`now + session_start_limit.reset_after`).
    pub identify_reset_at: Option<DateTime<Utc>>,
    /// `session_start_limit.max_concurrency`.
    pub max_concurrency: Option<u32>,
    /// When the current access token expires.
    pub token_expires_at: Option<DateTime<Utc>>,
}

impl Diagnostics {
    /// From what `GET /gateway/bot` said (e.g. [`Cluster::gateway`](crate::gateway::Cluster::gateway))
    /// and the token's time to live ([`Cluster::token_ttl`](crate::gateway::Cluster::token_ttl)),
    /// both as of `now`. Refresh it now and then (a `watch` sender): the token TTL changes when
    /// the token is refreshed.
    pub fn from_gateway(
        gateway: &crate::http::GatewayBot,
        token_ttl: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Diagnostics {
        let limit = &gateway.session_start_limit;
        let later = |d: Duration| chrono::Duration::from_std(d).ok().map(|d| now + d);
        Diagnostics {
            identify_total: Some(limit.total),
            identify_remaining: Some(limit.remaining),
            identify_reset_at: later(Duration::from_millis(limit.reset_after)),
            max_concurrency: Some(limit.max_concurrency),
            token_expires_at: token_ttl.and_then(later),
        }
    }
}

/// What the loop should do after a key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Nothing changed.
    None,
    /// Leave the dashboard (`q`).
    Quit,
    /// Leave the dashboard because of Ctrl-C (the binary exits 130, as `listen` does).
    Interrupt,
    /// The view changed: draw now rather than at the next tick.
    Redraw,
}

/// Which panel the arrow keys scroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The shards table.
    Shards,
    /// The recent-events log.
    Events,
    /// The per-event-type table.
    Types,
}

impl Focus {
    fn next(self) -> Focus {
        match self {
            Focus::Shards => Focus::Events,
            Focus::Events => Focus::Types,
            Focus::Types => Focus::Shards,
        }
    }

    fn prev(self) -> Focus {
        self.next().next()
    }
}

/// One row of the per-event-type table.
#[derive(Debug, Clone)]
pub struct TypeRow {
    /// The event type (`t`), shared with log entries.
    pub name: Arc<str>,
    /// How many were seen.
    pub count: u64,
    /// When the last one arrived.
    pub last_seen: DateTime<Utc>,
    /// When the first one arrived.
    pub first_seen: DateTime<Utc>,
    buckets: [(i64, u32); TYPE_RATE_SECS + 1],
}

impl TypeRow {
    fn new(name: Arc<str>, now: DateTime<Utc>) -> TypeRow {
        TypeRow {
            name,
            count: 0,
            last_seen: now,
            first_seen: now,
            buckets: [(i64::MIN, 0); TYPE_RATE_SECS + 1],
        }
    }

    /// Count one event at `now`.
    fn bump(&mut self, now: DateTime<Utc>) {
        self.count += 1;
        self.last_seen = now;
        let sec = now.timestamp();
        let slot = &mut self.buckets[sec.rem_euclid(TYPE_RATE_SECS as i64 + 1) as usize];
        if slot.0 == sec {
            slot.1 += 1;
        } else if slot.0 < sec {
            *slot = (sec, 1);
        }
    }

    /// Events per second over the last [`TYPE_RATE_SECS`] full seconds before `now` (fewer when
    /// the stream was first observed, `since`, more recently). The window is the time watched,
    /// not the time since this type first appeared: one event in a stream watched for 5 s is
    /// 0.2/s, not 1/s.
    pub fn rate(&self, now: DateTime<Utc>, since: DateTime<Utc>) -> f64 {
        let cur = now.timestamp();
        let window = (cur - since.timestamp()).clamp(1, TYPE_RATE_SECS as i64);
        let lo = cur - window;
        let n: u64 = self
            .buckets
            .iter()
            .filter(|(sec, _)| *sec >= lo && *sec < cur)
            .map(|(_, c)| u64::from(*c))
            .sum();
        n as f64 / window as f64
    }
}

/// What a log entry records.
#[derive(Debug, Clone)]
pub enum LogKind {
    /// A dispatch: type shared with the type table, raw frame shared with the item.
    Dispatch {
        /// `s`.
        seq: Option<u64>,
        /// `t`.
        t: Arc<str>,
        /// The whole frame.
        frame: Arc<str>,
        /// Where `d` sits in `frame`.
        d_range: std::ops::Range<usize>,
    },
    /// A lifecycle item, described in plain language.
    Lifecycle {
        /// [`ItemKind::key`].
        key: &'static str,
        /// [`describe`]'s text.
        text: String,
        /// Whether it is bad news (close, error, lag, fatal).
        alarm: bool,
    },
}

/// One entry of the recent-events log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// Monotonic entry number (selection survives new arrivals).
    pub no: u64,
    /// The item's own time.
    pub at: DateTime<Utc>,
    /// Which shard.
    pub shard: ShardId,
    /// What happened.
    pub kind: LogKind,
}

impl LogEntry {
    /// The raw `d` of a dispatch.
    pub fn d(&self) -> Option<&str> {
        match &self.kind {
            LogKind::Dispatch { frame, d_range, .. } => Some(if d_range.is_empty() {
                "null"
            } else {
                &frame[d_range.clone()]
            }),
            LogKind::Lifecycle { .. } => None,
        }
    }

    /// The event type or lifecycle key, which the `/` filter matches.
    pub fn label(&self) -> &str {
        match &self.kind {
            LogKind::Dispatch { t, .. } => t,
            LogKind::Lifecycle { key, .. } => key,
        }
    }
}

/// All data shown by the dashboard. Pausing freezes a copy of this while the live one keeps
/// counting.
#[derive(Debug, Clone)]
pub struct View {
    /// The time of the last `apply` / `tick`.
    pub now: DateTime<Utc>,
    /// Totals (the same aggregates `listen` prints on exit).
    pub stats: Stats,
    /// One row per shard, by id.
    pub shards: Vec<ShardView>,
    /// Per-second dispatch counts, `(unix second, count)`, indexed by `second % RATE_WINDOW_SECS`.
    rate: Vec<(i64, u32)>,
    /// Per-type rows.
    pub types: HashMap<Arc<str>, TypeRow>,
    /// Per-source rows (`guild:ID`, `group:OPENID`, `user:OPENID`), the same shape as a type's.
    pub sources: HashMap<Arc<str>, TypeRow>,
    /// Where a dispatch's source key is built (no allocation per event).
    source_key: String,
    /// Recent entries, oldest first, at most [`LOG_CAPACITY`].
    pub log: VecDeque<LogEntry>,
    next_no: u64,
    /// Time of the first item.
    pub started: Option<DateTime<Utc>>,
    /// Time of the last dispatch from any shard.
    pub last_dispatch_at: Option<DateTime<Utc>>,
    /// The fleet's leases (`--cluster`), refreshed by [`App::set_fleet`].
    pub fleet: Option<FleetView>,
    /// The largest shard count seen.
    max_count: u32,
    /// Events only, from a stream ([`Header::stream`]).
    pub stream: bool,
    /// Received messages by second, for the passive-reply windows still open.
    replies: ReplyWindows,
}

/// Received messages per second and scene over the longest passive-reply window (C2C's hour),
/// so the dashboard can say how many could still be answered.
#[derive(Debug, Clone)]
struct ReplyWindows {
    /// `(unix second, count per scene)`, indexed by `second % len`.
    ring: Vec<(i64, [u32; 4])>,
}

/// Replies that can still be sent: messages received inside their scene's passive-reply window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenReplies {
    /// Every scene.
    pub total: u64,
    /// Of those, C2C messages (whose window is an hour, not 5 min).
    pub c2c: u64,
}

const SCENES: [Scene; 4] = [Scene::Channel, Scene::Dm, Scene::Group, Scene::C2c];

impl ReplyWindows {
    fn new() -> ReplyWindows {
        let longest = SCENES.iter().map(|s| s.reply_window().as_secs()).max();
        ReplyWindows {
            ring: vec![(i64::MIN, [0; 4]); longest.unwrap_or(1) as usize],
        }
    }

    fn record(&mut self, t: &str, at: DateTime<Utc>) {
        let Some(scene) = Scene::of_message_event(t) else {
            return;
        };
        let sec = at.timestamp();
        let len = self.ring.len() as i64;
        let slot = &mut self.ring[sec.rem_euclid(len) as usize];
        if slot.0 < sec {
            *slot = (sec, [0; 4]);
        }
        if slot.0 == sec {
            slot.1[SCENES.iter().position(|s| *s == scene).unwrap_or(0)] += 1;
        }
    }

    fn open(&self, now: DateTime<Utc>) -> OpenReplies {
        let cur = now.timestamp();
        let mut open = OpenReplies::default();
        for (sec, counts) in &self.ring {
            for (scene, n) in SCENES.iter().zip(counts) {
                // Open while younger than the window (a message of this very second counts).
                if *sec <= cur && *sec > cur - scene.reply_window().as_secs() as i64 {
                    open.total += u64::from(*n);
                    if *scene == Scene::C2c {
                        open.c2c += u64::from(*n);
                    }
                }
            }
        }
        open
    }
}

impl View {
    fn new(shards: u32, stream: bool, now: DateTime<Utc>) -> View {
        let count = shards.max(1);
        View {
            now,
            stats: Stats::default(),
            shards: (0..count)
                .map(|id| ShardView::new(ShardId { id, count }, stream))
                .collect(),
            rate: vec![(i64::MIN, 0); RATE_WINDOW_SECS],
            types: HashMap::new(),
            sources: HashMap::new(),
            source_key: String::new(),
            log: VecDeque::with_capacity(LOG_CAPACITY),
            next_no: 0,
            started: None,
            last_dispatch_at: None,
            fleet: None,
            max_count: count,
            stream,
            replies: ReplyWindows::new(),
        }
    }

    /// Messages received whose passive-reply window is still open at this view's time (5 min
    /// for guild, DM and group messages, 60 min for C2C; counted from arrival). Each takes up
    /// to 5 replies: the count says how many conversations could still be answered.
    pub fn open_replies(&self) -> OpenReplies {
        self.replies.open(self.now)
    }

    /// Dispatches per second for each of the last `secs` whole seconds up to and including `now`'s
    /// second, oldest first.
    pub fn rate_series(&self, secs: usize) -> impl Iterator<Item = u64> + '_ {
        let secs = secs.min(RATE_WINDOW_SECS) as i64;
        let cur = self.now.timestamp();
        (cur - secs + 1..=cur).map(move |sec| {
            let (tag, n) = self.rate[sec.rem_euclid(RATE_WINDOW_SECS as i64) as usize];
            if tag == sec { u64::from(n) } else { 0 }
        })
    }

    /// [`TypeRow::rate`] at this view's time, over the time this stream has been watched.
    pub fn type_rate(&self, row: &TypeRow) -> f64 {
        row.rate(self.now, self.started.unwrap_or(row.first_seen))
    }

    /// Dispatches per second over the last `secs` full seconds before `now` (fewer when the
    /// first item came more recently).
    pub fn rate_recent(&self, secs: usize) -> f64 {
        let cur = self.now.timestamp();
        let since_start = self.started.map_or(1, |s| cur - s.timestamp()).max(1) as usize;
        let secs = secs.min(since_start).clamp(1, RATE_WINDOW_SECS - 1);
        let total: u64 = (cur - secs as i64..cur)
            .map(|sec| {
                let (tag, n) = self.rate[sec.rem_euclid(RATE_WINDOW_SECS as i64) as usize];
                if tag == sec { u64::from(n) } else { 0 }
            })
            .sum();
        total as f64 / secs as f64
    }

    fn shard_mut(&mut self, id: ShardId) -> &mut ShardView {
        let idx = id.id as usize;
        // A shard of a larger fleet (items read from a stream name their own `[id, count]`):
        // every shard of that count gets a row, not only those seen so far. Counts beyond what
        // a fleet can have only add the row itself.
        let fleet = if id.count <= MAX_ROWS {
            id.count as usize
        } else {
            0
        };
        let want = (idx + 1).max(fleet);
        if want > self.shards.len() || id.count > self.max_count {
            self.max_count = self.max_count.max(id.count);
            let count = id.count.max(self.shards.len() as u32);
            for shard in &mut self.shards {
                shard.id.count = shard.id.count.max(count);
            }
            for n in self.shards.len()..want {
                self.shards.push(ShardView::new(
                    ShardId {
                        id: n as u32,
                        count,
                    },
                    self.stream,
                ));
            }
        }
        let shard = &mut self.shards[idx];
        // Never lower a row's count (a source's own notices come as shard 0/1).
        shard.id.count = shard.id.count.max(id.count);
        shard
    }

    fn push_log(&mut self, shard: ShardId, at: DateTime<Utc>, kind: LogKind) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry {
            no: self.next_no,
            at,
            shard,
            kind,
        });
        self.next_no += 1;
    }

    fn apply(&mut self, item: &GatewayItem, now: DateTime<Utc>) {
        self.now = now;
        self.started.get_or_insert(now);
        self.stats.record(item);
        self.shard_mut(item.shard).apply(&item.kind, now);
        match &item.kind {
            ItemKind::Dispatch(d) => {
                self.last_dispatch_at = Some(now);
                let sec = now.timestamp();
                let slot = &mut self.rate[sec.rem_euclid(RATE_WINDOW_SECS as i64) as usize];
                if slot.0 == sec {
                    slot.1 += 1;
                } else if slot.0 < sec {
                    *slot = (sec, 1);
                }
                let row = match self.types.get_mut(&*d.t) {
                    Some(row) => row,
                    None => {
                        let name = Arc::clone(&d.t);
                        self.types
                            .entry(name.clone())
                            .or_insert_with(|| TypeRow::new(name, now))
                    }
                };
                row.bump(now);
                if let Some((prefix, value)) = source_parts(d.d()) {
                    let key = &mut self.source_key;
                    key.clear();
                    key.push_str(prefix);
                    key.push_str(value);
                    match self.sources.get_mut(key.as_str()) {
                        Some(row) => row.bump(now),
                        None => {
                            let name: Arc<str> = key.as_str().into();
                            let mut row = TypeRow::new(Arc::clone(&name), now);
                            row.bump(now);
                            self.sources.insert(name, row);
                        }
                    }
                }
                let row = &self.types[&*d.t];
                self.replies.record(&d.t, now);
                let t = row.name.clone();
                self.push_log(
                    item.shard,
                    item.received_at,
                    LogKind::Dispatch {
                        seq: d.seq,
                        t,
                        frame: d.frame.clone(),
                        d_range: d.d_range.clone(),
                    },
                );
            }
            ItemKind::HeartbeatSent { .. } | ItemKind::HeartbeatAck { .. } => {}
            other => {
                let (_, text) = describe(other);
                let alarm = matches!(
                    other,
                    ItemKind::Closed { .. }
                        | ItemKind::InvalidSession { .. }
                        | ItemKind::Lagged { .. }
                        | ItemKind::Gap { .. }
                        | ItemKind::Error { .. }
                        | ItemKind::Fatal { .. }
                );
                self.push_log(
                    item.shard,
                    item.received_at,
                    LogKind::Lifecycle {
                        key: other.key(),
                        text,
                        alarm,
                    },
                );
            }
        }
    }

    /// Log entries passing `filter`, newest first.
    pub fn log_newest_first<'a>(
        &'a self,
        filter: Option<&'a str>,
    ) -> impl Iterator<Item = &'a LogEntry> + 'a {
        self.log
            .iter()
            .rev()
            .filter(move |e| filter.is_none_or(|f| matches_filter(e.label(), f)))
    }

    /// Type rows passing `filter`, most frequent first (ties by name).
    pub fn types_sorted(&self, filter: Option<&str>) -> Vec<&TypeRow> {
        sorted(&self.types, filter)
    }

    /// The per-source rows (guild, group, C2C user), most events first; `filter` as for types.
    pub fn sources_sorted(&self, filter: Option<&str>) -> Vec<&TypeRow> {
        sorted(&self.sources, filter)
    }

    fn entry(&self, no: u64) -> Option<&LogEntry> {
        let first = self.log.front()?.no;
        let idx = no.checked_sub(first)?;
        self.log.get(usize::try_from(idx).ok()?)
    }
}

/// Rows most events first, then by name; only those matching `filter`.
fn sorted<'a>(rows: &'a HashMap<Arc<str>, TypeRow>, filter: Option<&str>) -> Vec<&'a TypeRow> {
    let mut rows: Vec<&TypeRow> = rows
        .values()
        .filter(|r| filter.is_none_or(|f| matches_filter(&r.name, f)))
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    rows
}

/// Where an event comes from: `group:OPENID` (group events), `guild:ID` (guild events), or
/// `user:OPENID` (C2C and friend events). Read straight from `d`'s text: these ids are plain
/// strings, and a full parse per event would cost more than the whole reducer.
pub fn source_of(d: &str) -> Option<String> {
    source_parts(d).map(|(prefix, value)| format!("{prefix}{value}"))
}

/// [`source_of`] as its two parts (`"group:"`, the openid), without allocating.
fn source_parts(d: &str) -> Option<(&'static str, &str)> {
    use memchr::memmem::Finder;
    use std::sync::OnceLock;
    // `"key":"`, in the order they are tried; the value runs to the next quote.
    static FINDERS: OnceLock<[(Finder<'static>, &'static str); 4]> = OnceLock::new();
    let finders = FINDERS.get_or_init(|| {
        [
            (Finder::new(r#""group_openid":""#), "group:"),
            (Finder::new(r#""guild_id":""#), "guild:"),
            (Finder::new(r#""user_openid":""#), "user:"),
            (Finder::new(r#""openid":""#), "user:"),
        ]
    });
    let bytes = d.as_bytes();
    finders.iter().find_map(|(finder, prefix)| {
        let start = finder.find(bytes)? + finder.needle().len();
        let len = memchr::memchr(b'"', &bytes[start..])?;
        let value = &d[start..start + len];
        (!value.is_empty() && !value.contains('\\')).then_some((*prefix, value))
    })
}

/// Case-insensitive substring match of an event type against the `/` filter.
pub fn matches_filter(label: &str, filter: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    if filter.len() > label.len() {
        return false;
    }
    label
        .as_bytes()
        .windows(filter.len())
        .any(|w| w.eq_ignore_ascii_case(filter.as_bytes()))
}

/// The pretty-printed body of one log entry, opened with Enter.
#[derive(Debug, Clone)]
pub struct Detail {
    /// Title line (time, shard, type, seq).
    pub title: String,
    /// Pretty JSON of `d`, or the lifecycle text.
    pub body: String,
    /// Lines scrolled.
    pub scroll: u16,
}

/// The dashboard: live data, an optional frozen copy (pause), and UI state.
#[derive(Debug, Clone)]
pub struct App {
    /// Fixed facts for the status bar.
    pub header: Header,
    /// Facts from `/gateway/bot` and the token source.
    pub diagnostics: Diagnostics,
    live: View,
    frozen: Option<Box<View>>,
    /// Which panel scrolls.
    pub focus: Focus,
    /// Selected log entry (by [`LogEntry::no`]); `None` follows the newest.
    pub selected_event: Option<u64>,
    /// Selected shard row.
    pub selected_shard: usize,
    /// First visible type row.
    pub types_offset: usize,
    /// The table beside the log shows sources (guild, group, user) instead of event types.
    pub show_sources: bool,
    /// Applied event-type filter.
    pub filter: Option<String>,
    /// Filter being typed after `/`.
    pub filter_input: Option<String>,
    /// Help overlay shown.
    pub help: bool,
    /// Detail overlay.
    pub detail: Option<Detail>,
    /// The item source has ended (replay finished, cluster stopped).
    pub source_ended: bool,
}

/// Lines moved by PgUp / PgDn.
const PAGE: usize = 10;

impl App {
    /// An empty dashboard. Times start at the Unix epoch until the first `apply` / `tick`.
    pub fn new(header: Header) -> App {
        let live = View::new(header.shards, header.stream, DateTime::<Utc>::UNIX_EPOCH);
        App {
            header,
            diagnostics: Diagnostics::default(),
            live,
            frozen: None,
            focus: Focus::Events,
            selected_event: None,
            selected_shard: 0,
            types_offset: 0,
            show_sources: false,
            filter: None,
            filter_input: None,
            help: false,
            detail: None,
            source_ended: false,
        }
    }

    /// Account for one item received at `now`. O(1): no per-item allocation except a log entry
    /// for lifecycle items (rare) and a new row the first time an event type is seen.
    ///
    /// `now` is the dashboard's clock: rate buckets, ages and the zombie check use it, while the
    /// log shows the item's own `received_at`. Live, pass the wall clock (once per batch is
    /// fine); for a replay paced faster than real time, pass the item's recorded time so rates
    /// come out as they were recorded.
    pub fn apply(&mut self, item: &GatewayItem, now: DateTime<Utc>) {
        self.live.apply(item, now);
    }

    /// The item source has ended: shards that did not stop fatally show `ended` (a replay's
    /// last close is not followed by a reconnect), and the status bar says so.
    pub fn end_source(&mut self) {
        self.source_ended = true;
        for view in std::iter::once(&mut self.live).chain(self.frozen.as_deref_mut()) {
            for shard in &mut view.shards {
                if shard.state != ShardState::FatallyClosed {
                    shard.ended = true;
                }
            }
        }
    }

    /// A new read of the fleet's bucket: the shards table shows every shard's owner, state, seq
    /// and lease age from it (shards held here keep their live data). A failed read keeps the
    /// last good rows and says so. Like items, it lands in the live data (a paused view keeps
    /// what it froze).
    pub fn set_fleet(&mut self, read: FleetRead) {
        let fleet = self.live.fleet.get_or_insert_with(|| FleetView {
            owner: read.owner.clone(),
            status: None,
            read_at: None,
            error: None,
        });
        fleet.owner = read.owner;
        match read.result {
            Ok(status) => {
                fleet.status = Some(status);
                fleet.read_at = Some(read.at);
                fleet.error = None;
            }
            Err(error) => fleet.error = Some((error, read.at)),
        }
    }

    /// Replace the diagnostics input.
    pub fn set_diagnostics(&mut self, d: Diagnostics) {
        self.diagnostics = d;
    }

    /// Advance the clock (rate buckets roll over by time, ages grow).
    pub fn tick(&mut self, now: DateTime<Utc>) {
        if now > self.live.now {
            self.live.now = now;
        }
    }

    /// Totals over every item applied, paused or not.
    pub fn stats(&self) -> &Stats {
        &self.live.stats
    }

    /// The live data (what is counted).
    pub fn live(&self) -> &View {
        &self.live
    }

    /// What the screen shows: the frozen copy while paused, else the live data.
    pub fn view(&self) -> &View {
        self.frozen.as_deref().unwrap_or(&self.live)
    }

    /// Whether the view is frozen.
    pub fn paused(&self) -> bool {
        self.frozen.is_some()
    }

    /// Position (newest first, filtered) of the selected log entry, clamped to what exists.
    pub fn selected_event_index(&self) -> usize {
        let Some(no) = self.selected_event else {
            return 0;
        };
        let filter = self.filter.as_deref();
        let mut last = 0;
        for (i, e) in self.view().log_newest_first(filter).enumerate() {
            if e.no <= no {
                return i;
            }
            last = i;
        }
        last
    }

    /// Handle one key press.
    pub fn on_key(&mut self, key: KeyEvent) -> KeyAction {
        if key.kind == KeyEventKind::Release {
            return KeyAction::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c')) {
            return KeyAction::Interrupt;
        }
        if let Some(input) = &mut self.filter_input {
            match key.code {
                KeyCode::Enter => {
                    let text = input.trim().to_string();
                    self.filter = (!text.is_empty()).then_some(text);
                    self.filter_input = None;
                    self.selected_event = None;
                    self.types_offset = 0;
                }
                KeyCode::Esc => self.filter_input = None,
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Char(c) if !ctrl && input.len() < 64 => input.push(c),
                _ => return KeyAction::None,
            }
            return KeyAction::Redraw;
        }
        if self.help {
            return match key.code {
                KeyCode::Char('q') => KeyAction::Quit,
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Enter => {
                    self.help = false;
                    KeyAction::Redraw
                }
                _ => KeyAction::None,
            };
        }
        if let Some(detail) = &mut self.detail {
            match key.code {
                KeyCode::Char('q') => return KeyAction::Quit,
                KeyCode::Esc | KeyCode::Enter => self.detail = None,
                KeyCode::Down | KeyCode::Char('j') => {
                    detail.scroll = detail.scroll.saturating_add(1)
                }
                KeyCode::Up | KeyCode::Char('k') => detail.scroll = detail.scroll.saturating_sub(1),
                KeyCode::PageDown => detail.scroll = detail.scroll.saturating_add(PAGE as u16),
                KeyCode::PageUp => detail.scroll = detail.scroll.saturating_sub(PAGE as u16),
                KeyCode::Home => detail.scroll = 0,
                _ => return KeyAction::None,
            }
            return KeyAction::Redraw;
        }
        match key.code {
            KeyCode::Char('q') => return KeyAction::Quit,
            KeyCode::Char('p') | KeyCode::Char(' ') => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(Box::new(self.live.clone())),
                };
            }
            KeyCode::Tab => self.focus = self.focus.next(),
            KeyCode::BackTab => self.focus = self.focus.prev(),
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char('g') => {
                self.show_sources = !self.show_sources;
                self.types_offset = 0;
            }
            KeyCode::Char('/') => self.filter_input = Some(self.filter.clone().unwrap_or_default()),
            KeyCode::Esc if self.filter.is_some() => {
                self.filter = None;
                self.selected_event = None;
            }
            KeyCode::Enter => {
                self.focus = Focus::Events;
                self.open_detail();
            }
            KeyCode::Down | KeyCode::Char('j') => self.scroll(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll(-1),
            KeyCode::PageDown => self.scroll(PAGE as isize),
            KeyCode::PageUp => self.scroll(-(PAGE as isize)),
            KeyCode::Home => self.scroll(isize::MIN / 2),
            KeyCode::End => self.scroll(isize::MAX / 2),
            _ => return KeyAction::None,
        }
        KeyAction::Redraw
    }

    /// Move the focused panel's selection by `delta` rows (positive = down / older).
    fn scroll(&mut self, delta: isize) {
        match self.focus {
            Focus::Shards => {
                let max = self.view().shards.len().saturating_sub(1);
                self.selected_shard = self.selected_shard.saturating_add_signed(delta).min(max);
            }
            Focus::Types => {
                let view = self.view();
                let rows = if self.show_sources {
                    view.sources.len()
                } else {
                    view.types.len()
                };
                let max = rows.saturating_sub(1);
                self.types_offset = self.types_offset.saturating_add_signed(delta).min(max);
            }
            Focus::Events => {
                let filter = self.filter.as_deref();
                let view = self.frozen.as_deref().unwrap_or(&self.live);
                let current = self.selected_event_index();
                let target = current.saturating_add_signed(delta);
                if target == 0 {
                    self.selected_event = None;
                    return;
                }
                let mut chosen = None;
                for e in view.log_newest_first(filter).take(target + 1) {
                    chosen = Some(e.no);
                }
                // Selecting the newest entry means following new arrivals.
                let newest = view.log_newest_first(filter).next().map(|e| e.no);
                self.selected_event = if chosen == newest { None } else { chosen };
            }
        }
    }

    fn open_detail(&mut self) {
        let view = self.view();
        let filter = self.filter.as_deref();
        let idx = self.selected_event_index();
        let Some(entry) = view.log_newest_first(filter).nth(idx) else {
            return;
        };
        let entry = view.entry(entry.no).unwrap_or(entry);
        let time = entry
            .at
            .with_timezone(&self.header.utc_offset)
            .format("%H:%M:%S%.3f");
        let detail = match &entry.kind {
            LogKind::Dispatch { seq, t, .. } => {
                let d = entry.d().unwrap_or("null");
                let body = match serde_json::from_str::<serde_json::Value>(d) {
                    Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| d.to_string()),
                    Err(e) => format!("(d is not valid JSON: {e})\n{d}"),
                };
                let seq = seq.map(|s| format!("#{s}")).unwrap_or_else(|| "#-".into());
                Detail {
                    title: format!("{t} {seq} · shard {} · {time}", entry.shard),
                    body,
                    scroll: 0,
                }
            }
            LogKind::Lifecycle { key, text, .. } => Detail {
                title: format!("{key} · shard {} · {time}", entry.shard),
                body: text.clone(),
                scroll: 0,
            },
        };
        self.detail = Some(detail);
    }
}
