//! The consumer side shared by `listen` and `replay`: filter → dedup → stats → one sink.
//!
//! It runs on a plain thread (blocking writes to stdout must never stall the async runtime that
//! drives heartbeats) and reports why it stopped.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::time::Instant;

use super::recorder::Recorder;

use indicatif::ProgressBar;

use super::exit::CliError;
use qqbot::gateway::{FatalCause, GatewayItem, ItemKind};
use qqbot::nats::Publisher;
use qqbot::output::human::{self, Painter};
use qqbot::output::{Dedup, Filter, Stats, ndjson};
use qqbot::protocol::events::{EventType, suggest_event};
use qqbot::webhook::Forwarder;

/// Each shard's session id and last handled `s`, looked up once per dispatch: shard ids are
/// ours, so a fast hash does (SipHash was ~1% of `listen`'s CPU under a flood).
pub type Cursors = HashMap<u32, (String, Option<u64>), foldhash::fast::FixedState>;

/// Filter options shared by `listen`, `record`, `replay` and `tui`.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only these event types (comma-separated `t` values, e.g. AT_MESSAGE_CREATE).
    #[arg(long, short = 'e', value_name = "TYPES", value_delimiter = ',')]
    pub events: Vec<String>,
    /// Only events of this guild id.
    #[arg(long, value_name = "ID")]
    pub guild: Option<String>,
    /// Only events of this channel id.
    #[arg(long, value_name = "ID")]
    pub channel: Option<String>,
    /// Only events of this group openid.
    #[arg(long, value_name = "OPENID")]
    pub group: Option<String>,
    /// Only events from this user id or openid.
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// Only events for which this jq expression is true, over the event as its NDJSON line
    /// shows it: `--filter '.d.author.id == "123"'`, `--filter '.d.content | test("ping")'`.
    #[arg(long = "filter", value_name = "JQ")]
    pub jq: Option<String>,
}

impl FilterArgs {
    /// The event types asked for, trimmed (empty: all).
    pub fn types(&self) -> Vec<String> {
        self.events.iter().map(|e| e.trim().to_owned()).collect()
    }

    /// The `--filter` expression, compiled once to refuse a mistake before anything starts.
    pub fn checked_jq(&self) -> Result<Option<String>, CliError> {
        match &self.jq {
            Some(code) => super::jq::JqFilter::compile(code).map(|_| Some(code.clone())),
            None => Ok(None),
        }
    }

    /// The `-e` types, each checked against the known event table: an unknown name is a usage
    /// error with a did-you-mean suggestion (`listen -e AT_MESSAGE_CREAT`).
    pub fn checked_types(&self) -> Result<Vec<EventType>, CliError> {
        checked_event_types("-e/--events", &self.types())
    }

    /// The output filter; `with_types` false when the types are applied elsewhere (replay).
    pub fn filter(&self, include_control: bool, with_types: bool) -> Filter {
        Filter {
            events: (with_types && !self.events.is_empty())
                .then(|| self.types().into_iter().collect()),
            guild: self.guild.clone(),
            channel: self.channel.clone(),
            group: self.group.clone(),
            user: self.user.clone(),
            include_control,
        }
    }
}

/// Event type names (`-e`, `--until-event`), each checked against the known event table: an
/// unknown name is a usage error naming `flag`, with a did-you-mean suggestion.
pub fn checked_event_types(flag: &str, names: &[String]) -> Result<Vec<EventType>, CliError> {
    let mut types = Vec::new();
    for name in names {
        let name = name.trim();
        match EventType::from_name(name) {
            EventType::Unknown(_) => {
                let err = CliError::usage(format!("{flag}: unknown event type `{name}`"));
                return Err(match suggest_event(name) {
                    Some(close) => err.hint(format!(
                        "did you mean {close}? `qqbot intents list` shows every event type"
                    )),
                    None => err.hint("`qqbot intents list` shows every event type"),
                });
            }
            known => types.push(known),
        }
    }
    Ok(types)
}

/// Output format.
#[derive(Debug, Clone, Copy)]
pub enum Format {
    /// Aligned human lines.
    Human(Painter),
    /// One JSON object per line.
    Ndjson,
    /// Nothing on stdout (`qqbot record`).
    Silent,
}

/// Output is written in pieces of about this size when it comes faster than it is shown.
const PENDING: usize = 64 * 1024;

/// Options of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// What to let through.
    pub filter: Filter,
    /// Drop duplicate event ids.
    pub dedup: bool,
    /// Stop after this many printed events.
    pub count: Option<u64>,
    /// Stop after the first dispatch of one of these types (`--until-event`), shown or not.
    pub until: Option<std::collections::HashSet<String>>,
    /// `--filter`: a jq expression dispatches must satisfy (checked by [`FilterArgs::checked_jq`]).
    pub jq: Option<String>,
    /// Output format.
    pub format: Format,
    /// Print notable lifecycle items (closes, resumes, fatal) on stderr when they are not on stdout.
    pub notices: bool,
    /// Colour on stderr.
    pub stderr_painter: Painter,
}

/// Why the pipeline stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The source ended (shutdown or all shards stopped).
    SourceEnded,
    /// `--count` reached.
    CountReached,
    /// A dispatch of an `--until-event` type was handled.
    UntilReached,
    /// stdout was closed by the reader (e.g. `| head`).
    BrokenPipe,
    /// Writing failed otherwise.
    WriteError(String),
}

/// What the pipeline saw, for the exit summary and exit code.
#[derive(Debug)]
pub struct Outcome {
    /// Why it stopped.
    pub stop: Stop,
    /// Statistics over everything received (before filtering).
    pub stats: Stats,
    /// Fatal items seen, one per shard.
    pub fatal: Vec<FatalStop>,
    /// Per shard: the session and the last `s` this pipeline handled (written, recorded,
    /// forwarded or deliberately filtered out): a saved resume cursor never passes it.
    pub cursors: Cursors,
    /// The recorder, handed back to be finished once the source is gone.
    pub recorder: Option<Recorder>,
    /// The forwarder, handed back to be drained and closed.
    pub forwarder: Option<Forwarder>,
    /// The NATS publisher, handed back to wait for its acknowledgements.
    pub publisher: Option<Publisher>,
}

/// A shard that stopped for good.
#[derive(Debug, Clone)]
pub struct FatalStop {
    /// Which shard.
    pub shard: u32,
    /// Why, in words.
    pub reason: String,
    /// What to do.
    pub hint: Option<String>,
    /// Why, typed.
    pub cause: FatalCause,
}

/// The pipeline state.
pub struct Pipeline<W: Write> {
    options: PipelineOptions,
    dedup: Option<Dedup>,
    out: W,
    /// Lines not yet written: they go out when this fills, when the source goes idle
    /// ([`Pipeline::flush`]) and at the end, not once per line (a syscall per event would cap
    /// the output rate). Lines are formatted straight into it.
    pending: String,
    stats: Stats,
    printed: u64,
    fatal: Vec<FatalStop>,
    fatal_shards: HashSet<u32>,
    cursors: Cursors,
    recorder: Option<Recorder>,
    forwarder: Option<Forwarder>,
    publisher: Option<Publisher>,
    /// Items handled so far, for a source that acknowledges behind the output (`--from`).
    handled: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    progress: Option<(ProgressBar, Instant)>,
    metrics: Option<qqbot::output::prometheus::Exporter>,
    /// `--filter`, compiled on the thread that runs the pipeline (jaq's values are not `Send`),
    /// with the line it reads each dispatch from.
    jq: Option<(super::jq::JqFilter, String)>,
}

impl<W: Write> Pipeline<W> {
    /// A pipeline writing to `out`.
    pub fn new(options: PipelineOptions, out: W) -> Pipeline<W> {
        Pipeline {
            jq: options
                .jq
                .as_deref()
                .and_then(|code| super::jq::JqFilter::compile(code).ok())
                .map(|filter| (filter, String::new())),
            dedup: options.dedup.then(Dedup::default),
            options,
            out,
            pending: String::with_capacity(PENDING + 4096),
            stats: Stats::default(),
            printed: 0,
            fatal: Vec::new(),
            fatal_shards: HashSet::new(),
            cursors: Cursors::default(),
            recorder: None,
            forwarder: None,
            publisher: None,
            handled: None,
            progress: None,
            metrics: None,
        }
    }

    /// Also publish what passes the filters to NATS JetStream (`--publish`).
    pub fn with_publisher(mut self, publisher: Option<Publisher>) -> Self {
        self.publisher = publisher;
        self
    }

    /// Count handled items here (the `--from` source acknowledges up to it).
    pub fn with_handled(
        mut self,
        handled: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    ) -> Self {
        self.handled = handled;
        self
    }

    /// Count one more item handled (see [`Pipeline::with_handled`]).
    pub fn mark_handled(&self) {
        if let Some(handled) = &self.handled {
            handled.fetch_add(1, std::sync::atomic::Ordering::Release);
        }
    }

    /// Also forward what passes the filters (dispatches; every lifecycle item, so a new session
    /// resets the forwarder's cursor).
    pub fn with_forwarder(mut self, forwarder: Option<Forwarder>) -> Self {
        self.forwarder = forwarder;
        self
    }

    /// Also record what passes the filters (dispatches) and every lifecycle item.
    pub fn with_recorder(mut self, recorder: Recorder) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// Also count items for `--metrics` (received before filtering, handed on after).
    pub fn with_metrics(mut self, metrics: Option<qqbot::output::prometheus::Exporter>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Show a spinner with counts on stderr.
    pub fn with_progress(mut self, bar: ProgressBar) -> Self {
        self.progress = Some((bar, Instant::now()));
        self
    }

    fn tick_progress(&mut self) {
        let Some((bar, last)) = &mut self.progress else {
            return;
        };
        if last.elapsed() < std::time::Duration::from_millis(100) {
            return;
        }
        *last = Instant::now();
        let bytes = self
            .recorder
            .as_ref()
            .map(|r| {
                r.counters()
                    .bytes
                    .load(std::sync::atomic::Ordering::Relaxed)
            })
            .unwrap_or(0);
        bar.set_message(format!(
            "{} event(s), {:.1} KiB recorded, {} disconnect(s), {} resume(s)",
            self.stats.events,
            bytes as f64 / 1024.0,
            self.stats.closes,
            self.stats.resumes
        ));
    }

    /// Handle one item. `Some(stop)` when the pipeline is done.
    pub fn handle(&mut self, item: &GatewayItem) -> Option<Stop> {
        self.stats.record(item);
        if let Some(metrics) = &self.metrics {
            metrics.observe(item);
        }
        match &item.kind {
            ItemKind::Fatal {
                reason,
                hint,
                cause,
                ..
            } if self.fatal_shards.insert(item.shard.id) => self.fatal.push(FatalStop {
                shard: item.shard.id,
                reason: reason.clone(),
                hint: hint.clone(),
                cause: *cause,
            }),
            ItemKind::Ready { session_id, .. } => {
                self.cursors
                    .insert(item.shard.id, (session_id.clone(), None));
            }
            ItemKind::Resuming { session_id, seq } => {
                self.cursors
                    .insert(item.shard.id, (session_id.clone(), *seq));
            }
            _ => {}
        }
        if let (ItemKind::Dispatch(d), Some(dedup)) = (&item.kind, self.dedup.as_mut())
            && let Some(id) = d.id()
            && !dedup.first_time(id)
        {
            self.stats.duplicates += 1;
            return None;
        }
        let is_dispatch = matches!(item.kind, ItemKind::Dispatch(_));
        let accepted = self.options.filter.accepts(item) && (!is_dispatch || self.jq_accepts(item));
        if let Some(recorder) = &self.recorder
            && (accepted || !is_dispatch)
        {
            // Waits while the disk is behind: backpressure, not drops.
            recorder.record(item);
        }
        if let Some(forwarder) = &self.forwarder
            && (accepted || !is_dispatch)
            && forwarder.forward_blocking(item).is_err()
        {
            self.stats.dropped += 1;
        }
        if let Some(publisher) = &self.publisher {
            // Waits while NATS is behind: backpressure, not drops.
            publisher.handle_blocking(item, accepted);
            for message in publisher.take_notices() {
                let notice = GatewayItem {
                    shard: item.shard,
                    received_at: chrono::Utc::now(),
                    kind: ItemKind::Error {
                        message: format!("nats: {message}"),
                    },
                };
                self.stats.record(&notice);
                if self.options.filter.accepts(&notice) {
                    match self.options.format {
                        Format::Ndjson => ndjson::write_line(&mut self.pending, &notice),
                        Format::Human(painter) => {
                            self.pending.push_str(&human::line(&notice, painter))
                        }
                        Format::Silent => {}
                    }
                }
            }
        }
        self.tick_progress();
        if accepted && let Some(metrics) = &self.metrics {
            metrics.handed_on(item);
        }
        if !accepted {
            self.advance(item); // filtered out on purpose: handled
            if is_dispatch {
                self.stats.filtered += 1;
                return self.until_reached(item);
            }
            if let Some(stop) = self.until_reached(item) {
                return Some(stop);
            }
            if self.options.notices {
                return self.notice(item);
            }
            return None;
        }
        match self.options.format {
            Format::Ndjson => ndjson::write_line(&mut self.pending, item),
            Format::Human(painter) => self.pending.push_str(&human::line(item, painter)),
            Format::Silent => {}
        }
        if self.pending.len() >= PENDING
            && let Err(e) = self.write_pending()
        {
            return Some(write_stop(&e));
        }
        self.advance(item);
        if is_dispatch {
            self.printed += 1;
        }
        if let Some(stop) = self.until_reached(item) {
            return Some(stop);
        }
        if is_dispatch && self.options.count.is_some_and(|n| self.printed >= n) {
            return Some(Stop::CountReached);
        }
        None
    }

    /// Whether `--filter` (if any) lets this dispatch through. The first error the expression
    /// raises is reported once on stderr; the events it is raised on do not pass.
    fn jq_accepts(&mut self, item: &GatewayItem) -> bool {
        let Some((filter, line)) = self.jq.as_mut() else {
            return true;
        };
        line.clear();
        ndjson::write_line(line, item);
        let accepted = filter.accepts(line.trim_end());
        if let Some(error) = filter.take_failure() {
            eprintln!("qqbot: warning: --filter: {error} (events it fails on are left out)");
        }
        accepted
    }

    /// [`Stop::UntilReached`] when `item` is a dispatch of an `--until-event` type, or the
    /// READY / RESUMED that qqbot shows as lifecycle items.
    fn until_reached(&self, item: &GatewayItem) -> Option<Stop> {
        let until = self.options.until.as_ref()?;
        let t = match &item.kind {
            ItemKind::Dispatch(d) => &*d.t,
            ItemKind::Ready { .. } => "READY",
            ItemKind::Resumed { .. } => "RESUMED",
            _ => return None,
        };
        until.contains(t).then_some(Stop::UntilReached)
    }

    /// Whether [`Pipeline::push_lines`] may stand in for [`Pipeline::handle`] on dispatches:
    /// NDJSON output, every dispatch accepted, and nothing else done with them (no recorder,
    /// forwarder, publisher, metrics, dedup, `--count` or acknowledgements).
    pub fn takes_lines(&self) -> bool {
        matches!(self.options.format, Format::Ndjson)
            && self.options.filter.passes_every_dispatch()
            && self.options.count.is_none()
            && self.options.until.is_none()
            && self.jq.is_none()
            && self.dedup.is_none()
            && self.recorder.is_none()
            && self.forwarder.is_none()
            && self.publisher.is_none()
            && self.metrics.is_none()
            && self.handled.is_none()
    }

    /// Dispatches already written as NDJSON lines (`text`, `events` of them, counted by type in
    /// `types`), for a pipeline that [`takes_lines`](Pipeline::takes_lines): what
    /// [`Pipeline::handle`] does for each of them, without the items. Resume cursors are not
    /// moved: they are for a live session, and these lines come from a recording.
    pub fn push_lines(
        &mut self,
        text: &str,
        events: u64,
        types: &[(std::sync::Arc<str>, u64)],
    ) -> Option<Stop> {
        debug_assert!(self.takes_lines());
        for (t, n) in types {
            self.stats.record_dispatches(t, *n);
        }
        self.printed += events;
        let written = if self.pending.len() + text.len() < PENDING {
            self.pending.push_str(text);
            Ok(())
        } else {
            // Large pieces go out as they are, after what was buffered.
            self.write_pending()
                .and_then(|()| self.out.write_all(text.as_bytes()))
        };
        if let Err(e) = written {
            return Some(write_stop(&e));
        }
        self.tick_progress();
        None
    }

    /// Move the shard's resume cursor past a dispatch that was handled.
    fn advance(&mut self, item: &GatewayItem) {
        let seq = match &item.kind {
            ItemKind::Dispatch(d) => d.seq,
            // RESUMED has an `s` of its own (never replayed).
            ItemKind::Resumed { seq, .. } => *seq,
            _ => None,
        };
        if let Some(cursor) = self.cursors.get_mut(&item.shard.id)
            && seq.is_some()
        {
            cursor.1 = seq;
        }
    }

    /// Write out what is buffered. Call it when no item is waiting, so a live stream shows each
    /// event at once while a burst goes out in large writes. `Some(stop)` when writing failed.
    pub fn flush(&mut self) -> Option<Stop> {
        self.write_pending()
            .and_then(|()| self.out.flush())
            .err()
            .map(|e| write_stop(&e))
    }

    fn write_pending(&mut self) -> io::Result<()> {
        let written = self.out.write_all(self.pending.as_bytes());
        self.pending.clear();
        written
    }

    /// Notable lifecycle items go to stderr when they are not part of the output, after the
    /// lines before them (a batch's replayed events, then its `resumed`, read in that order on a
    /// terminal). `Some(stop)` when writing those lines failed.
    fn notice(&mut self, item: &GatewayItem) -> Option<Stop> {
        let notable = matches!(
            item.kind,
            ItemKind::Ready { .. }
                | ItemKind::Resumed { .. }
                | ItemKind::Closed { .. }
                | ItemKind::InvalidSession { .. }
                | ItemKind::Backoff { .. }
                | ItemKind::IdentifyWait { .. }
                | ItemKind::Lagged { .. }
                | ItemKind::Gap { .. }
                | ItemKind::Error { .. }
                | ItemKind::Fatal { .. }
        );
        if !notable {
            return None;
        }
        if let Some(stop) = self.flush() {
            return Some(stop);
        }
        let line = human::line(item, self.options.stderr_painter);
        match &self.progress {
            Some((bar, _)) => bar.suspend(|| eprint!("{line}")),
            None => eprint!("{line}"),
        }
        None
    }

    /// Whether every one of `shards` shards has stopped fatally.
    pub fn all_fatal(&self, shards: usize) -> bool {
        shards > 0 && self.fatal_shards.len() >= shards
    }

    /// Finish with a stop reason, writing out what is buffered (a failure to do so becomes the
    /// stop reason unless the pipeline had already stopped for a write error).
    pub fn finish(mut self, stop: Stop) -> Outcome {
        if let Some((bar, _)) = &self.progress {
            bar.finish_and_clear();
        }
        let stop = match (stop, self.flush()) {
            (stop @ (Stop::BrokenPipe | Stop::WriteError(_)), _) | (stop, None) => stop,
            (_, Some(failed)) => failed,
        };
        self.stats.shown = self.printed;
        Outcome {
            stop,
            stats: self.stats,
            fatal: self.fatal,
            cursors: self.cursors,
            recorder: self.recorder,
            forwarder: self.forwarder,
            publisher: self.publisher,
        }
    }
}

/// Drain `items` on the current (blocking) thread until the source ends or the pipeline stops.
/// `shards` is the number of shards feeding the channel (all fatal → stop).
pub fn drain<W: Write>(
    mut pipeline: Pipeline<W>,
    items: &mut qqbot::gateway::Items,
    shards: usize,
) -> Outcome {
    use tokio::sync::mpsc::error::TryRecvError;
    loop {
        let item = match items.try_recv() {
            Ok(item) => item,
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                // Idle: show what arrived before waiting for more.
                if let Some(stop) = pipeline.flush() {
                    return pipeline.finish(stop);
                }
                // A shard hands a burst over item by item, and the first item wakes this
                // thread: step aside once so that it can finish the burst (on a busy machine
                // the woken thread often preempts the shard's), rather than sleep and wake again
                // for every few items.
                std::thread::yield_now();
                match items.try_recv() {
                    Ok(item) => item,
                    Err(TryRecvError::Disconnected) => break,
                    Err(TryRecvError::Empty) => match items.blocking_recv() {
                        Some(item) => item,
                        None => break,
                    },
                }
            }
        };
        let stop = pipeline.handle(&item);
        pipeline.mark_handled();
        if let Some(stop) = stop {
            return pipeline.finish(stop);
        }
        if pipeline.all_fatal(shards) {
            return pipeline.finish(Stop::SourceEnded);
        }
    }
    pipeline.finish(Stop::SourceEnded)
}

/// The stop reason for a failed write.
fn write_stop(e: &io::Error) -> Stop {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Stop::BrokenPipe
    } else {
        Stop::WriteError(e.to_string())
    }
}

/// Print the exit summary on stderr.
pub fn print_summary(outcome: &Outcome, started: Instant) {
    eprint!("{}", outcome.stats.summary(started.elapsed()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    use chrono::Utc;
    use qqbot::gateway::{Dispatch, ShardId};

    /// Records each `write` call; fails with `fail` once set.
    #[derive(Clone, Default)]
    struct Sink {
        writes: Arc<Mutex<Vec<usize>>>,
        bytes: Arc<Mutex<Vec<u8>>>,
        fail: Arc<Mutex<Option<io::ErrorKind>>>,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if let Some(kind) = *self.fail.lock().unwrap() {
                return Err(kind.into());
            }
            self.writes.lock().unwrap().push(buf.len());
            self.bytes.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn options() -> PipelineOptions {
        PipelineOptions {
            filter: Filter::default(),
            dedup: false,
            count: None,
            until: None,
            jq: None,
            format: Format::Ndjson,
            notices: false,
            stderr_painter: Painter::new(false),
        }
    }

    fn item(seq: u64) -> GatewayItem {
        let frame = format!(r#"{{"op":0,"s":{seq},"t":"X","d":{{"n":{seq}}}}}"#);
        let start = frame.find(r#"{"n""#).unwrap();
        GatewayItem {
            shard: ShardId::ONE,
            received_at: Utc::now(),
            kind: ItemKind::Dispatch(Dispatch::new(
                Some(seq),
                "X".into(),
                None,
                Arc::from(frame.as_str()),
                start..frame.len() - 1,
            )),
        }
    }

    fn typed(seq: u64, t: &str) -> GatewayItem {
        let mut it = item(seq);
        if let ItemKind::Dispatch(d) = &mut it.kind {
            d.t = t.into();
        }
        it
    }

    #[test]
    fn until_event_stops_after_that_type_shown_or_filtered_and_wins_over_count() {
        let until = |names: &[&str]| PipelineOptions {
            until: Some(names.iter().map(|n| n.to_string()).collect()),
            ..options()
        };
        let sink = Sink::default();
        let mut pipeline = Pipeline::new(until(&["B"]), sink.clone());
        assert!(!pipeline.takes_lines(), "each dispatch must be looked at");
        assert_eq!(pipeline.handle(&typed(1, "A")), None);
        assert_eq!(pipeline.handle(&typed(2, "B")), Some(Stop::UntilReached));
        let outcome = pipeline.finish(Stop::UntilReached);
        assert_eq!(outcome.stats.shown, 2, "the matching event is written too");
        let text = String::from_utf8(sink.bytes.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 2);

        // Filtered out by -e, it still ends the run.
        let mut pipeline = Pipeline::new(
            PipelineOptions {
                filter: Filter {
                    events: Some(["A".to_owned()].into_iter().collect()),
                    ..Filter::default()
                },
                ..until(&["B"])
            },
            Sink::default(),
        );
        assert_eq!(pipeline.handle(&typed(1, "A")), None);
        assert_eq!(pipeline.handle(&typed(2, "B")), Some(Stop::UntilReached));

        // The count's last event being the awaited one is a success, not "count reached".
        let mut pipeline = Pipeline::new(
            PipelineOptions {
                count: Some(2),
                ..until(&["B"])
            },
            Sink::default(),
        );
        assert_eq!(pipeline.handle(&typed(1, "A")), None);
        assert_eq!(pipeline.handle(&typed(2, "B")), Some(Stop::UntilReached));
    }

    #[test]
    fn lines_are_written_in_large_pieces_and_all_of_them_on_flush() {
        let sink = Sink::default();
        let mut pipeline = Pipeline::new(options(), sink.clone());
        for seq in 1..=3 {
            assert_eq!(pipeline.handle(&item(seq)), None);
        }
        assert!(
            sink.writes.lock().unwrap().is_empty(),
            "buffered, not written"
        );
        assert_eq!(pipeline.flush(), None);
        let text = String::from_utf8(sink.bytes.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().all(|l| l.starts_with(r#"{"kind":"dispatch""#)));

        // A burst goes out in pieces of about PENDING bytes, not one write per line.
        sink.writes.lock().unwrap().clear();
        let burst = 20_000u64;
        for seq in 0..burst {
            assert_eq!(pipeline.handle(&item(seq)), None);
        }
        let outcome = pipeline.finish(Stop::SourceEnded);
        assert_eq!(outcome.stop, Stop::SourceEnded);
        let writes = sink.writes.lock().unwrap().clone();
        assert!(
            writes.len() < 40,
            "{} writes for {burst} lines",
            writes.len()
        );
        assert!(writes[..writes.len() - 1].iter().all(|&n| n >= PENDING));
        let text = String::from_utf8(sink.bytes.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count() as u64, 3 + burst, "nothing lost");
    }

    /// A notice on stderr comes after the lines before it on stdout: they are written first.
    #[test]
    fn lines_before_a_notice_are_written_before_it() {
        let sink = Sink::default();
        let mut options = options();
        options.notices = true;
        options.filter.include_control = false;
        let mut pipeline = Pipeline::new(options, sink.clone());
        assert_eq!(pipeline.handle(&item(1)), None);
        assert!(sink.writes.lock().unwrap().is_empty(), "buffered");
        // Not notable: nothing is written yet.
        let state = GatewayItem {
            shard: ShardId::ONE,
            received_at: Utc::now(),
            kind: ItemKind::HeartbeatSent { seq: Some(1) },
        };
        assert_eq!(pipeline.handle(&state), None);
        assert!(sink.writes.lock().unwrap().is_empty(), "still buffered");
        let resumed = GatewayItem {
            shard: ShardId::ONE,
            received_at: Utc::now(),
            kind: ItemKind::Resumed {
                seq: Some(2),
                replayed: 1,
                recovered_in: None,
            },
        };
        assert_eq!(pipeline.handle(&resumed), None);
        let text = String::from_utf8(sink.bytes.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text.lines().count(),
            1,
            "the dispatch went out before the notice"
        );
    }

    #[test]
    fn a_closed_pipe_stops_the_pipeline_when_output_is_written() {
        let sink = Sink::default();
        let mut pipeline = Pipeline::new(options(), sink.clone());
        assert_eq!(pipeline.handle(&item(1)), None);
        *sink.fail.lock().unwrap() = Some(io::ErrorKind::BrokenPipe);
        assert_eq!(pipeline.flush(), Some(Stop::BrokenPipe));
        assert_eq!(pipeline.handle(&item(2)), None);
        let outcome = pipeline.finish(Stop::SourceEnded);
        assert_eq!(
            outcome.stop,
            Stop::BrokenPipe,
            "finish reports the failed write"
        );

        let mut pipeline = Pipeline::new(options(), sink.clone());
        assert_eq!(pipeline.handle(&item(3)), None);
        *sink.fail.lock().unwrap() = Some(io::ErrorKind::Other);
        let outcome = pipeline.finish(Stop::CountReached);
        assert!(
            matches!(outcome.stop, Stop::WriteError(_)),
            "{:?}",
            outcome.stop
        );
    }
}
