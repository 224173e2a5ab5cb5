//! The tolerant, streaming recording reader.
//!
//! Memory stays flat: one reused line buffer, and each record owns only its own frame text. A
//! torn last line (a crash mid-write, or a truncated compressed tail) becomes a [`Warning`]; an
//! invalid line anywhere else is an error naming its line number. Unknown keys are ignored and
//! unknown line types or event kinds are skipped (counted in [`RecordReader::skipped`]).

use std::borrow::Cow;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::compress::{self, Input, ReadProgress};
use super::error::{LineError, RecordError, Warning};
use super::event::EventFields;
use super::format::{AtCache, Dir, Header, parse_at};
use crate::gateway::{ItemKind, ShardId};
use crate::protocol::EventNames;
use crate::protocol::Peeked;

/// One line of a recording after the header.
#[derive(Debug, Clone)]
pub enum Record {
    /// A raw frame, rx or tx.
    Frame(FrameRecord),
    /// A lifecycle item.
    Event(EventRecord),
}

impl Record {
    /// Monotonic offset since the recording started.
    pub fn offset(&self) -> Duration {
        match self {
            Record::Frame(f) => f.offset,
            Record::Event(e) => e.offset,
        }
    }

    /// Recorded wall time.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Record::Frame(f) => f.at,
            Record::Event(e) => e.at,
        }
    }

    /// The shard it belongs to.
    pub fn shard(&self) -> ShardId {
        match self {
            Record::Frame(f) => f.shard,
            Record::Event(e) => e.shard,
        }
    }
}

/// A recorded frame.
#[derive(Debug, Clone)]
pub struct FrameRecord {
    /// Monotonic offset since the recording started.
    pub offset: Duration,
    /// Wall time it was received or sent.
    pub at: DateTime<Utc>,
    /// Direction.
    pub dir: Dir,
    /// Shard.
    pub shard: ShardId,
    /// The frame text, byte-exact as recorded (after redaction).
    pub text: Arc<str>,
    /// Its envelope, or `None` when the text is not a gateway envelope.
    pub envelope: Option<Peeked>,
}

/// A recorded lifecycle item.
#[derive(Debug, Clone)]
pub struct EventRecord {
    /// Monotonic offset since the recording started.
    pub offset: Duration,
    /// Wall time it happened.
    pub at: DateTime<Utc>,
    /// Shard.
    pub shard: ShardId,
    /// What happened (never `Dispatch`).
    pub kind: ItemKind,
}

/// The longest line a reader accepts, newline excluded: 32 MiB, twice the gateway's 16 MiB frame
/// limit (a recorded frame plus its keys, or a text frame escaped as a string). A longer line is
/// an error naming its line number ([`RecordError::LineTooLong`]), found after reading at most
/// this much of it, so memory stays bounded whatever the file holds.
pub const MAX_LINE: usize = 32 * 1024 * 1024;

/// Reads a recording: the header on open, then records one by one.
pub struct RecordReader {
    input: Input,
    header: Header,
    buf: Vec<u8>,
    max_line: usize,
    line: u64,
    warnings: Vec<Warning>,
    skipped: u64,
    done: bool,
    cache: LineCache,
    /// A read error the fast path met, kept for the general path to report.
    pending: Option<io::Error>,
}

impl std::fmt::Debug for RecordReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordReader")
            .field("line", &self.line)
            .field("compressed", &self.input.compressed())
            .finish_non_exhaustive()
    }
}

impl RecordReader {
    /// Open a file (zstd-compressed or not: detected from its first bytes) and read its header.
    pub fn open(path: &Path) -> Result<RecordReader, RecordError> {
        let input = compress::open(path).map_err(|source| RecordError::Open {
            path: path.to_owned(),
            source,
        })?;
        RecordReader::start(input)
    }

    /// Read from any source (stdin for `-`), decompressing when it starts with zstd's magic.
    pub fn from_reader<R: Read + Send + 'static>(reader: R) -> Result<RecordReader, RecordError> {
        RecordReader::from_reader_with_max_line(reader, MAX_LINE)
    }

    /// [`RecordReader::from_reader`] with another line-length limit than [`MAX_LINE`].
    pub fn from_reader_with_max_line<R: Read + Send + 'static>(
        reader: R,
        max_line: usize,
    ) -> Result<RecordReader, RecordError> {
        let input =
            compress::input(reader).map_err(|source| RecordError::Read { line: 1, source })?;
        RecordReader::start_with(input, max_line)
    }

    fn start(input: Input) -> Result<RecordReader, RecordError> {
        RecordReader::start_with(input, MAX_LINE)
    }

    fn start_with(input: Input, max_line: usize) -> Result<RecordReader, RecordError> {
        let mut reader = RecordReader {
            input,
            header: Header::new(DateTime::<Utc>::UNIX_EPOCH),
            buf: Vec::with_capacity(4096),
            max_line,
            line: 0,
            warnings: Vec::new(),
            skipped: 0,
            done: false,
            cache: LineCache::default(),
            pending: None,
        };
        match reader.read_line()? {
            None if !reader.warnings.is_empty() => Err(RecordError::not_a_recording(
                "the compressed data ends before line 1 is complete",
            )),
            None => Err(RecordError::Empty),
            Some(_) => {
                let header = std::str::from_utf8(trim_eol(&reader.buf))
                    .map_err(|_| RecordError::not_a_recording("line 1 is not UTF-8"))
                    .and_then(Header::parse);
                match header {
                    Ok(header) => reader.header = header,
                    // Garbage from damaged compressed data: say so rather than judge the text.
                    Err(e) => return Err(reader.corruption().unwrap_or(e)),
                }
                Ok(reader)
            }
        }
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Problems tolerated so far (a torn last line).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Lines skipped because their `type` or event `kind` is unknown to this version.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// A handle on how far reading has got (bytes of the source), for progress displays.
    pub fn progress(&self) -> ReadProgress {
        self.input.progress.clone()
    }

    /// The 1-based number of the last line read.
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// The next record, `Ok(None)` at the end (or after a torn tail).
    pub fn next_record(&mut self) -> Result<Option<Record>, RecordError> {
        if let Some(record) = self.next_in_buffer() {
            return Ok(Some(record));
        }
        while !self.done {
            let Some(terminated) = self.read_line()? else {
                self.done = true;
                return Ok(None);
            };
            let line = trim_eol(&self.buf);
            if is_blank(line) {
                continue;
            }
            let parsed = parse_bytes(line, &mut self.cache);
            match parsed {
                Ok(Some(record)) => return Ok(Some(record)),
                Ok(None) => self.skipped += 1,
                Err(source) => {
                    let last = if terminated { self.at_end() } else { Ok(true) };
                    return self.failed_line(source, last);
                }
            }
        }
        Ok(None)
    }

    /// A line that does not parse: a torn last line (a warning, and the end of reading) when
    /// `last` says nothing follows it, an error otherwise.
    fn failed_line(
        &mut self,
        source: LineError,
        last: io::Result<bool>,
    ) -> Result<Option<Record>, RecordError> {
        let last = match last {
            Ok(last) => last,
            Err(e) if self.input.compressed() => return Err(self.corrupt(e)),
            // Reading what follows failed: that is the error to report.
            Err(source) => {
                self.done = true;
                return Err(RecordError::Read {
                    line: self.line + 1,
                    source,
                });
            }
        };
        // Damaged compressed data decodes to garbage before zstd notices (at the latest, at the
        // frame's checksum): report the damage, not the garbage.
        if let Some(e) = self.corruption() {
            return Err(e);
        }
        if last {
            self.torn(format!("torn last line ignored ({source})"));
            return Ok(None);
        }
        self.done = true;
        Err(RecordError::InvalidLine {
            line: self.line,
            source,
        })
    }

    /// Whether the source is zstd-compressed.
    pub(crate) fn compressed(&self) -> bool {
        self.input.compressed()
    }

    /// The longest line accepted.
    pub(crate) fn max_line(&self) -> usize {
        self.max_line
    }

    /// Read whole lines into `data`, about `target` bytes of them (more when one line is
    /// longer), for parsing elsewhere ([`super::parallel`]). Lines are not counted here: the
    /// consumer of the chunk calls [`RecordReader::chunk_done`] when it gets to them. At the end
    /// of the source the last line may be unterminated. A read error, or a line over the
    /// limit, ends the chunk after its last complete line.
    pub(crate) fn read_chunk(&mut self, data: &mut Vec<u8>, target: usize) -> ChunkEnd {
        data.clear();
        if self.done {
            return ChunkEnd::End;
        }
        // Where the unterminated line at the end of `data` starts.
        let mut tail = 0;
        loop {
            let available = match fill(&mut self.pending, &mut *self.input.lines) {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    data.truncate(tail);
                    return ChunkEnd::Failed(e);
                }
            };
            if available.is_empty() {
                return ChunkEnd::End;
            }
            let room = target.saturating_sub(data.len()).max(1);
            let take = if available.len() <= room {
                available.len()
            } else {
                match memchr::memrchr(b'\n', &available[..room]) {
                    Some(end) => end + 1,
                    None => memchr::memchr(b'\n', &available[room..])
                        .map_or(available.len(), |end| room + end + 1),
                }
            };
            let before = data.len();
            data.extend_from_slice(&available[..take]);
            self.input.lines.consume(take);
            if let Some(end) = memchr::memrchr(b'\n', &data[before..]) {
                tail = before + end + 1;
            }
            if data.len() - tail > self.max_line {
                data.truncate(tail);
                return ChunkEnd::TooLong;
            }
            if data.len() >= target && tail == data.len() {
                // Whether anything follows decides what a bad last line means.
                return match self.at_end() {
                    Ok(true) => ChunkEnd::End,
                    Ok(false) => ChunkEnd::More,
                    Err(e) => ChunkEnd::Failed(e),
                };
            }
        }
    }

    /// One line of a chunk that the chunk's parser left to the reader: parsed as
    /// [`RecordReader::next_record`] would parse it as line `line`. `raw` is the line without
    /// its newline; `last` says whether anything follows it (asked only when it does not parse).
    pub(crate) fn chunk_line(
        &mut self,
        raw: &[u8],
        line: u64,
        last: impl FnOnce() -> io::Result<bool>,
    ) -> Result<Option<Record>, RecordError> {
        self.line = line;
        if raw.len() > self.max_line {
            self.done = true;
            return Err(RecordError::LineTooLong {
                line,
                limit: self.max_line,
            });
        }
        let text = trim_eol(raw);
        if is_blank(text) {
            return Ok(None);
        }
        match parse_bytes(text, &mut self.cache) {
            Ok(Some(record)) => Ok(Some(record)),
            Ok(None) => {
                self.skipped += 1;
                Ok(None)
            }
            Err(source) => self.failed_line(source, last()),
        }
    }

    /// A chunk (`bytes` bytes) has been handled, up to and including line `line`.
    pub(crate) fn chunk_done(&mut self, line: u64, bytes: usize) {
        self.line = line;
        self.input.progress.line_read(bytes);
    }

    /// The error a chunk's end stands for, after its lines (`None` for a plain end).
    pub(crate) fn chunk_error(&mut self, end: ChunkEnd) -> Option<RecordError> {
        match end {
            ChunkEnd::More | ChunkEnd::End => None,
            ChunkEnd::Failed(source) => Some(RecordError::Read {
                line: self.line + 1,
                source,
            }),
            ChunkEnd::TooLong => {
                self.line += 1;
                self.done = true;
                Some(RecordError::LineTooLong {
                    line: self.line,
                    limit: self.max_line,
                })
            }
        }
    }

    /// The common case without copying the line out of the read buffer: a complete line already
    /// buffered that parses into a record. Anything else (a line split across reads, a blank,
    /// skipped or invalid line, a read error) is left in place for the general path.
    fn next_in_buffer(&mut self) -> Option<Record> {
        if self.done {
            return None;
        }
        if self.pending.is_some() {
            return None;
        }
        let available = match self.input.lines.fill_buf() {
            Ok(available) => available,
            Err(e) => {
                self.pending = Some(e);
                return None;
            }
        };
        let end = memchr::memchr(b'\n', available)?;
        if end > self.max_line {
            // The general path reports it.
            return None;
        }
        let record = parse_bytes(trim_eol(&available[..end]), &mut self.cache).ok()??;
        self.input.lines.consume(end + 1);
        self.input.progress.line_read(end + 1);
        self.line += 1;
        Some(record)
    }

    fn torn(&mut self, message: String) {
        self.warnings.push(Warning {
            line: self.line,
            message,
        });
        self.done = true;
    }

    /// Whether nothing follows the current line. A truncated compressed tail counts as the end;
    /// other errors are returned.
    fn at_end(&mut self) -> io::Result<bool> {
        let compressed = self.input.compressed();
        loop {
            match fill(&mut self.pending, &mut *self.input.lines) {
                Ok(rest) => return Ok(rest.is_empty()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if compressed && e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(true);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// For compressed input, decode (and discard) the rest to see whether it is damaged: the
    /// error to report instead of a garbage line. Reads at most the rest of the source.
    fn corruption(&mut self) -> Option<RecordError> {
        if !self.input.compressed() {
            return None;
        }
        loop {
            match fill(&mut self.pending, &mut *self.input.lines) {
                Ok([]) => return None,
                Ok(rest) => {
                    let n = rest.len();
                    self.input.lines.consume(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return None,
                Err(e) => return Some(self.corrupt(e)),
            }
        }
    }

    /// A decoding error as the error that ends reading.
    fn corrupt(&mut self, source: io::Error) -> RecordError {
        self.done = true;
        RecordError::Corrupt {
            line: self.line.max(1),
            source,
        }
    }

    /// Read the next raw line into `buf`: `Some(terminated)`, or `None` at the end. A line longer
    /// than `max_line` is an error once that much of it has been read.
    fn read_line(&mut self) -> Result<Option<bool>, RecordError> {
        self.buf.clear();
        let mut terminated = false;
        let compressed = self.input.compressed();
        while !terminated {
            let available = match fill(&mut self.pending, &mut *self.input.lines) {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if compressed && e.kind() != io::ErrorKind::UnexpectedEof => {
                    self.line += 1;
                    return Err(self.corrupt(e));
                }
                Err(e) if compressed => {
                    self.line += 1;
                    self.torn(format!(
                        "compressed data ends early or is damaged ({e}); the rest is ignored"
                    ));
                    return Ok(None);
                }
                Err(source) => {
                    return Err(RecordError::Read {
                        line: self.line + 1,
                        source,
                    });
                }
            };
            if available.is_empty() {
                break;
            }
            let take = match memchr::memchr(b'\n', available) {
                Some(end) => {
                    terminated = true;
                    end + 1
                }
                None => available.len(),
            };
            let content = self.buf.len() + take - usize::from(terminated);
            if content > self.max_line {
                self.line += 1;
                self.done = true;
                return Err(RecordError::LineTooLong {
                    line: self.line,
                    limit: self.max_line,
                });
            }
            self.buf.extend_from_slice(&available[..take]);
            self.input.lines.consume(take);
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        self.input.progress.line_read(self.buf.len());
        self.line += 1;
        Ok(Some(terminated))
    }
}

impl Iterator for RecordReader {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// The read buffer, or the error the fast path met (`pending`).
fn fill<'a>(
    pending: &mut Option<io::Error>,
    lines: &'a mut (dyn io::BufRead + Send),
) -> io::Result<&'a [u8]> {
    if let Some(e) = pending.take() {
        return Err(e);
    }
    lines.fill_buf()
}

/// A line without its `\n` or `\r\n`.
pub(crate) fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Whether a line is only whitespace (skipped without counting).
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// A raw record line: UTF-8, then [`parse_line`].
fn parse_bytes(line: &[u8], cache: &mut LineCache) -> Result<Option<Record>, LineError> {
    simdutf8::basic::from_utf8(line)
        .map_err(|_| LineError::Utf8)
        .and_then(|line| parse_line(line, cache))
}

/// How [`RecordReader::read_chunk`] stopped.
#[derive(Debug)]
pub(crate) enum ChunkEnd {
    /// The chunk is full; more may follow.
    More,
    /// The source ended.
    End,
    /// Reading failed after the chunk's last complete line.
    Failed(io::Error),
    /// The line after the chunk is longer than the limit.
    TooLong,
}

/// What a reader remembers from line to line to parse the next one faster.
#[derive(Debug, Default)]
pub(crate) struct LineCache {
    at: AtCache,
    names: EventNames,
}

/// Parse one record line: the writer's own layout on a fast path, anything else through serde.
fn parse_line(line: &str, cache: &mut LineCache) -> Result<Option<Record>, LineError> {
    if let Some(record) = fast_frame(line, cache) {
        return Ok(Some(Record::Frame(record)));
    }
    generic(line, &mut cache.names)
}

/// A cursor over the writer's exact frame layout:
/// `{"type":"frame","offset_us":N,"at":"…","shard":[i,n],"dir":"rx","frame":…}`.
struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn lit(&mut self, lit: &str) -> Option<()> {
        self.rest = self.rest.strip_prefix(lit)?;
        Some(())
    }

    /// Up to 19 digits (no overflow possible), as the writer prints them.
    fn uint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        let mut len = 0;
        for &c in self.rest.as_bytes().iter().take(20) {
            if !c.is_ascii_digit() {
                break;
            }
            n = n * 10 + u64::from(c - b'0');
            len += 1;
        }
        if len == 0 || len > 19 {
            return None;
        }
        self.rest = &self.rest[len..];
        Some(n)
    }

    /// A string without escapes, up to its closing quote (consumed).
    fn plain_str(&mut self) -> Option<&'a str> {
        let end = self.rest.bytes().position(|b| b == b'"' || b == b'\\')?;
        if self.rest.as_bytes()[end] != b'"' {
            return None;
        }
        let (text, rest) = self.rest.split_at(end);
        self.rest = &rest[1..];
        Some(text)
    }
}

/// A frame line in the writer's layout, parsed but not copied: what a [`FrameRecord`] is made
/// of, borrowed from the line.
pub(crate) struct FrameParts<'a> {
    pub(crate) offset: Duration,
    pub(crate) at: DateTime<Utc>,
    pub(crate) dir: Dir,
    pub(crate) shard: ShardId,
    pub(crate) text: &'a str,
    pub(crate) envelope: Peeked,
}

/// The writer's own frame layout, `None` for anything else (which [`generic`] then reads).
pub(crate) fn frame_parts<'a>(line: &'a str, cache: &mut LineCache) -> Option<FrameParts<'a>> {
    let mut c = Cursor { rest: line };
    c.lit("{\"type\":\"frame\",\"offset_us\":")?;
    let offset = c.uint()?;
    c.lit(",\"at\":\"")?;
    let at = cache.at.parse(c.plain_str()?)?;
    c.lit(",\"shard\":[")?;
    let id = u32::try_from(c.uint()?).ok()?;
    c.lit(",")?;
    let count = u32::try_from(c.uint()?).ok()?;
    c.lit("],\"dir\":\"")?;
    let dir = Dir::from_key(c.plain_str()?)?;
    c.lit(",\"frame\":")?;
    let text = c.rest.strip_suffix('}')?;
    // The peek parses the whole frame: success proves the line is valid JSON as well.
    let envelope = Peeked::of(text, &mut cache.names)?;
    Some(FrameParts {
        offset: Duration::from_micros(offset),
        at,
        dir,
        shard: ShardId { id, count },
        text,
        envelope,
    })
}

fn fast_frame(line: &str, cache: &mut LineCache) -> Option<FrameRecord> {
    let parts = frame_parts(line, cache)?;
    Some(FrameRecord {
        offset: parts.offset,
        at: parts.at,
        dir: parts.dir,
        shard: parts.shard,
        text: Arc::from(parts.text),
        envelope: Some(parts.envelope),
    })
}

/// Any record line, in any key order, with unknown keys.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    offset_us: Option<u64>,
    #[serde(borrow)]
    at: Option<Cow<'a, str>>,
    shard: Option<[u32; 2]>,
    #[serde(borrow)]
    dir: Option<Cow<'a, str>>,
    #[serde(borrow)]
    frame: Option<&'a RawValue>,
    frame_text: Option<String>,
}

fn generic(text: &str, names: &mut EventNames) -> Result<Option<Record>, LineError> {
    if !text.trim_start().starts_with('{') {
        return Err(LineError::invalid("line", text));
    }
    let line: Line<'_> = serde_json::from_str(text)?;
    if line.kind != "frame" && line.kind != "event" {
        return Ok(None);
    }
    let offset = Duration::from_micros(line.offset_us.ok_or(LineError::Missing("offset_us"))?);
    let at_text = line.at.ok_or(LineError::Missing("at"))?;
    let at = parse_at(&at_text).ok_or_else(|| LineError::invalid("at", &at_text))?;
    let [id, count] = line.shard.ok_or(LineError::Missing("shard"))?;
    let shard = ShardId { id, count };
    if line.kind == "event" {
        let fields: EventFields = serde_json::from_str(text)?;
        return Ok(fields.into_kind()?.map(|kind| {
            Record::Event(EventRecord {
                offset,
                at,
                shard,
                kind,
            })
        }));
    }
    let dir_text = line.dir.ok_or(LineError::Missing("dir"))?;
    let dir = Dir::from_key(&dir_text).ok_or_else(|| LineError::invalid("dir", &dir_text))?;
    let frame: Arc<str> = match (line.frame, line.frame_text) {
        (Some(raw), _) => Arc::from(raw.get()),
        (None, Some(text)) => Arc::from(text),
        (None, None) => return Err(LineError::Missing("frame")),
    };
    let envelope = Peeked::of(&frame, names);
    Ok(Some(Record::Frame(FrameRecord {
        offset,
        at,
        dir,
        shard,
        text: frame,
        envelope,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_and_generic_paths_agree() {
        let canonical = r#"{"type":"frame","offset_us":1500,"at":"2026-11-27T09:40:00.5Z","shard":[1,2],"dir":"rx","frame":{"op":0,"s":3,"t":"X","id":"X:1","d":{"a": 1}}}"#;
        let reordered = r#"{"dir":"rx","frame":{"op":0,"s":3,"t":"X","id":"X:1","d":{"a": 1}},"shard":[1,2],"extra":[1],"at":"2026-11-27T09:40:00.500Z","offset_us":1500,"type":"frame"}"#;
        let a = fast_frame(canonical, &mut LineCache::default()).expect("fast path");
        assert!(fast_frame(reordered, &mut LineCache::default()).is_none());
        let Some(Record::Frame(b)) = generic(reordered, &mut EventNames::default()).unwrap() else {
            panic!("frame expected")
        };
        for f in [&a, &b] {
            assert_eq!(f.offset, Duration::from_micros(1500));
            assert_eq!(f.shard, ShardId { id: 1, count: 2 });
            assert_eq!(f.dir, Dir::Rx);
            let env = f.envelope.as_ref().unwrap();
            assert_eq!((env.op, env.seq, env.t.as_deref()), (0, Some(3), Some("X")));
            assert_eq!(&f.text[env.d_range.clone()], r#"{"a": 1}"#);
        }
        assert_eq!(a.at, b.at);
    }

    /// Frames with the platform's escapes stay on the fast line path, agree with the generic one,
    /// and keep `d` byte-exact; bad escapes are errors on both.
    #[test]
    fn escaped_frames_take_the_fast_path() {
        let prefix = r#"{"type":"frame","offset_us":1,"at":"2026-11-27T09:40:00Z","shard":[0,1],"dir":"rx","frame":"#;
        let d = r#"{"author":{"avatar":"https://thirdqq.qlogo.cn/g?b=oidb\u0026k=x\u0026s=0"},"content":"\u003c@!1\u003e \"q\" \\ \ud83d\ude00 \ud800"}"#;
        let frame =
            format!(r#"{{"op":0,"s":3,"t":"AT_MESSAGE_\u0043REATE","id":"X:\u0026","d":{d}}}"#);
        let line = format!("{prefix}{frame}}}");
        let fast = fast_frame(&line, &mut LineCache::default()).expect("fast path");
        let reordered = format!(
            r#"{{"frame":{frame},"type":"frame","offset_us":1,"at":"2026-11-27T09:40:00Z","shard":[0,1],"dir":"rx"}}"#
        );
        let Some(Record::Frame(slow)) = generic(&reordered, &mut EventNames::default()).unwrap()
        else {
            panic!("frame expected")
        };
        for f in [&fast, &slow] {
            let env = f.envelope.as_ref().unwrap();
            assert_eq!(env.t.as_deref(), Some("AT_MESSAGE_CREATE"));
            assert_eq!(env.id(&f.text), Some("X:&"));
            assert_eq!(env.d(&f.text), d);
        }
        for bad in [r#""\x""#, r#""\u12""#, r#""\u12"#] {
            let line = format!(r#"{prefix}{{"op":0,"d":{bad}}}}}"#);
            assert!(
                fast_frame(&line, &mut LineCache::default()).is_none(),
                "{bad}"
            );
            assert!(
                parse_line(&line, &mut LineCache::default()).is_err(),
                "{bad}"
            );
        }
    }

    /// A plain file whose read fails just after a damaged line: a read error naming the next
    /// line, not "compressed data is corrupt".
    #[test]
    fn a_read_error_after_a_bad_line_is_a_read_error() {
        struct Failing(io::Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(io::Error::other("disk on fire")),
                    n => Ok(n),
                }
            }
        }
        let text = format!(
            "{}\nnot json\n",
            r#"{"format":"qqbot-recording","version":"1.0","started_at":"2026-11-27T09:40:00Z"}"#
        );
        let mut reader =
            RecordReader::from_reader(Failing(io::Cursor::new(text.into_bytes()))).unwrap();
        let err = reader.next_record().unwrap_err();
        assert!(
            matches!(err, RecordError::Read { line: 3, .. }),
            "a read error at line 3, got {err:?}"
        );
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let cases = [
            ("[1]", "invalid `line`: [1]"),
            (
                r#"{"type":"frame","at":"2026-11-27T09:40:00Z","shard":[0,1],"dir":"rx","frame":{}}"#,
                "missing `offset_us`",
            ),
            (
                r#"{"type":"frame","offset_us":1,"at":"soon","shard":[0,1],"dir":"rx","frame":{}}"#,
                "invalid `at`: soon",
            ),
            (
                r#"{"type":"frame","offset_us":1,"at":"2026-11-27T09:40:00Z","shard":[0,1],"dir":"up","frame":{}}"#,
                "invalid `dir`: up",
            ),
            (
                r#"{"type":"frame","offset_us":1,"at":"2026-11-27T09:40:00Z","shard":[0,1],"dir":"rx"}"#,
                "missing `frame`",
            ),
        ];
        for (line, message) in cases {
            let err = parse_line(line, &mut LineCache::default()).unwrap_err();
            assert_eq!(err.to_string(), message, "{line}");
        }
        // A truncated canonical line fails the fast path and then the generic one.
        let torn = r#"{"type":"frame","offset_us":1,"at":"2026-11-27T09:40:00Z","shard":[0,1],"dir":"rx","frame":{"op":0,"d":{"#;
        assert!(matches!(
            parse_line(torn, &mut LineCache::default()),
            Err(LineError::Json(_))
        ));
        assert!(
            parse_line(
                r#"{"type":"comment","text":"hi"}"#,
                &mut LineCache::default()
            )
            .unwrap()
            .is_none()
        );
    }
}
