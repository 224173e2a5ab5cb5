//! The crash-safe, redacting recording writer.
//!
//! Every line is built whole in memory and handed to the sink in one `write_all`, so the file
//! only ever grows by whole lines (short of the OS tearing a single write, which the reader
//! tolerates on the last line). The caller drives flushing with [`RecordWriter::flush_if_due`]
//! (at least once a second) and [`RecordWriter::finish`]; the writer itself never reads a clock
//! except through the injectable monotonic clock used for `offset_us`.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;

use super::compress::FileSink;
use super::error::RecordError;
use super::event;
use super::format::{Dir, Header, format_at};
use super::redact::{Redaction, Redactor};
use crate::gateway::{GatewayItem, ItemKind, ShardId};
use crate::secret::Secret;

/// How often buffered lines must reach the file at the latest.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Monotonic time since the recording started, for `offset_us`.
pub type Clock = Box<dyn FnMut() -> Duration + Send>;

/// Writes a recording to any `Write`: header first, then one line per frame or lifecycle item.
pub struct RecordWriter<W: Write> {
    out: W,
    line: String,
    redactor: Redactor,
    clock: Clock,
    last_offset: Duration,
    last_flush: Option<Instant>,
    dirty: bool,
    lines: u64,
}

impl<W: Write> std::fmt::Debug for RecordWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordWriter")
            .field("lines", &self.lines)
            .field("dirty", &self.dirty)
            .finish_non_exhaustive()
    }
}

impl RecordWriter<FileSink> {
    /// Create `path` (zstd when it ends in `.zst`) and write the header.
    pub fn create(
        path: &Path,
        header: &Header,
        redaction: &Redaction,
    ) -> Result<RecordWriter<FileSink>, RecordError> {
        let sink = FileSink::create(path).map_err(|source| RecordError::Open {
            path: path.to_owned(),
            source,
        })?;
        RecordWriter::new(sink, header, redaction)
    }

    /// Flush, end the compressed stream and sync the file.
    pub fn close(self) -> Result<(), RecordError> {
        self.finish()?.finish().map_err(RecordError::Write)
    }
}

impl<W: Write> RecordWriter<W> {
    /// Write the header (with `redaction` recorded in it) and flush it. Offsets count from now.
    pub fn new(out: W, header: &Header, redaction: &Redaction) -> Result<Self, RecordError> {
        let start = Instant::now();
        let mut writer = RecordWriter {
            out,
            line: String::with_capacity(4096),
            redactor: Redactor::new(redaction),
            clock: Box::new(move || start.elapsed()),
            last_offset: Duration::ZERO,
            last_flush: None,
            dirty: false,
            lines: 0,
        };
        let mut header = header.clone();
        header.redaction = redaction.info();
        let text =
            serde_json::to_string(&header).map_err(|e| RecordError::Write(io::Error::other(e)))?;
        writer.line.push_str(&writer.redactor.text(&text));
        writer.line.push('\n');
        writer.emit()?;
        writer.out.flush().map_err(RecordError::Write)?;
        writer.dirty = false;
        Ok(writer)
    }

    /// Replace the monotonic clock used for `offset_us` (tests, or a shared start instant).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Scrub one more secret from now on (e.g. a refreshed access token).
    pub fn add_secret(&mut self, secret: &Secret) {
        self.redactor.add_secret(secret);
    }

    /// Lines written so far, header included.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Record a received dispatch (as an `rx` frame) or a lifecycle item (as an event).
    pub fn write_item(&mut self, item: &GatewayItem) -> Result<(), RecordError> {
        match &item.kind {
            ItemKind::Dispatch(d) => {
                self.write_frame(Dir::Rx, item.shard, &item.received_at, &d.frame)
            }
            kind => self.write_event(item.shard, &item.received_at, kind),
        }
    }

    /// Record a raw frame in either direction (tx frames: Identify, Resume, heartbeats; rx
    /// frames that are not dispatches: Hello, ACK, op 7, op 9).
    pub fn write_frame(
        &mut self,
        dir: Dir,
        shard: ShardId,
        at: &DateTime<Utc>,
        text: &str,
    ) -> Result<(), RecordError> {
        let embeddable = is_embeddable(text);
        let frame = self.redactor.frame(text, embeddable);
        self.start_line("frame", shard, at);
        let _ = write!(self.line, ",\"dir\":\"{}\"", dir.key());
        if embeddable {
            self.line.push_str(",\"frame\":");
            self.line.push_str(&frame);
        } else {
            self.line.push_str(",\"frame_text\":");
            self.line
                .push_str(&serde_json::to_string(&*frame).unwrap_or_else(|_| "\"\"".into()));
        }
        self.line.push_str("}\n");
        self.emit()
    }

    /// Record a lifecycle item. A `Dispatch` kind is recorded as its rx frame.
    pub fn write_event(
        &mut self,
        shard: ShardId,
        at: &DateTime<Utc>,
        kind: &ItemKind,
    ) -> Result<(), RecordError> {
        if let ItemKind::Dispatch(d) = kind {
            return self.write_frame(Dir::Rx, shard, at, &d.frame);
        }
        self.start_line("event", shard, at);
        event::write_fields(&mut self.line, kind, &self.redactor);
        self.line.push_str("}\n");
        self.emit()
    }

    /// Flush when anything was written and `now` is at least [`FLUSH_INTERVAL`] after the last
    /// flush. Returns whether it flushed. Call it from a timer tick or after each write.
    pub fn flush_if_due(&mut self, now: Instant) -> Result<bool, RecordError> {
        let due = self
            .last_flush
            .is_none_or(|last| now.saturating_duration_since(last) >= FLUSH_INTERVAL);
        if !(self.dirty && due) {
            if self.last_flush.is_none() {
                self.last_flush = Some(now);
            }
            return Ok(false);
        }
        self.flush()?;
        self.last_flush = Some(now);
        Ok(true)
    }

    /// Flush now.
    pub fn flush(&mut self) -> Result<(), RecordError> {
        self.out.flush().map_err(RecordError::Write)?;
        self.dirty = false;
        Ok(())
    }

    /// Flush and hand back the sink (for a [`FileSink`], prefer [`RecordWriter::close`]).
    pub fn finish(mut self) -> Result<W, RecordError> {
        self.flush()?;
        Ok(self.out)
    }

    fn start_line(&mut self, kind: &str, shard: ShardId, at: &DateTime<Utc>) {
        // Offsets never go backwards, even if a custom clock does.
        let offset = (self.clock)().max(self.last_offset);
        self.last_offset = offset;
        self.line.clear();
        let _ = write!(
            self.line,
            "{{\"type\":\"{kind}\",\"offset_us\":{},\"at\":\"",
            offset.as_micros()
        );
        format_at(&mut self.line, at);
        let _ = write!(self.line, "\",\"shard\":[{},{}]", shard.id, shard.count);
    }

    fn emit(&mut self) -> Result<(), RecordError> {
        self.out
            .write_all(self.line.as_bytes())
            .map_err(RecordError::Write)?;
        self.dirty = true;
        self.lines += 1;
        Ok(())
    }
}

/// Whether a frame can be embedded as a JSON value on one line, byte-exact: valid JSON, no line
/// breaks, no surrounding whitespace. Anything else is stored as an escaped string.
fn is_embeddable(text: &str) -> bool {
    let json_ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    !text.is_empty()
        && !text.starts_with(json_ws)
        && !text.ends_with(json_ws)
        && !text.contains(['\n', '\r'])
        && serde_json::from_str::<&RawValue>(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddable_frames() {
        assert!(is_embeddable(r#"{"op":11}"#));
        assert!(is_embeddable(r#"{"op":0,"d":{"a":"x\ny"}}"#));
        for not in [
            "",
            " {\"op\":11}",
            "{\"op\":11}\n",
            "{\"op\":\n11}",
            "{\"op\":",
            "binary?",
        ] {
            assert!(!is_embeddable(not), "{not:?}");
        }
    }

    /// Records every `write` call the writer makes.
    #[derive(Default)]
    struct Calls(Vec<Vec<u8>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_line_reaches_the_sink_in_one_write() {
        let at = chrono::DateTime::<Utc>::from_timestamp(1, 5).unwrap();
        let mut w =
            RecordWriter::new(Calls::default(), &Header::new(at), &Redaction::default()).unwrap();
        let big = format!(
            r#"{{"op":0,"s":1,"t":"X","d":{{"pad":"{}"}}}}"#,
            "x".repeat(100_000)
        );
        w.write_frame(Dir::Rx, ShardId::ONE, &at, &big).unwrap();
        w.write_event(ShardId::ONE, &at, &ItemKind::ReconnectRequested)
            .unwrap();
        let calls = w.finish().unwrap().0;
        assert_eq!(calls.len(), 3);
        for call in &calls {
            assert_eq!(call.iter().filter(|b| **b == b'\n').count(), 1);
            assert_eq!(call.last(), Some(&b'\n'));
        }
        assert!(calls[1].len() > 100_000);
    }

    #[test]
    fn flush_policy_follows_the_callers_clock() {
        let start = chrono::DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        let mut w = RecordWriter::new(Vec::new(), &Header::new(start), &Redaction::default())
            .unwrap()
            .with_clock(Box::new(|| Duration::from_millis(5)));
        let t0 = Instant::now();
        assert!(!w.flush_if_due(t0).unwrap(), "nothing written yet");
        w.write_frame(Dir::Tx, ShardId::ONE, &start, r#"{"op":1,"d":null}"#)
            .unwrap();
        assert!(!w.flush_if_due(t0 + Duration::from_millis(999)).unwrap());
        assert!(w.flush_if_due(t0 + Duration::from_millis(1000)).unwrap());
        assert!(
            !w.flush_if_due(t0 + Duration::from_millis(5000)).unwrap(),
            "clean"
        );
        assert_eq!(w.lines(), 2);
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert!(text.ends_with("\"offset_us\":5000,\"at\":\"1970-01-01T00:00:00Z\",\"shard\":[0,1],\"dir\":\"tx\",\"frame\":{\"op\":1,\"d\":null}}\n"), "{text}");
    }
}
