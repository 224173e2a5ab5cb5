//! Replay straight to NDJSON on worker threads: [`NdjsonReplay`].
//!
//! The reading thread cuts the file into chunks of whole lines and hands them to workers. A
//! worker parses each line of the writer's own frame layout (validating the frame, as the
//! sequential reader does), applies the selection and writes the dispatch's NDJSON line into
//! the chunk's output, so that a line's bytes are read, checked and formatted on one core and no
//! per-event allocation crosses threads. Any other line (a lifecycle event, a blank or invalid
//! line, an unusual layout) is left to the reading thread, which parses it with the sequential
//! reader's own code, in file order. The output is byte for byte what [`super::Replay`] followed
//! by [`crate::output::ndjson::write_line`] gives, with the same errors, line numbers and
//! warnings.

use std::collections::BTreeMap;
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use super::error::RecordError;
use super::reader::{ChunkEnd, LineCache, RecordReader, frame_parts, is_blank, trim_eol};
use super::replay::{ReplayItem, Selection, to_item};
use crate::output::ndjson::{DispatchLine, write_dispatch};

/// Chunks of about this many bytes go to the workers (a few hundred frames).
pub const CHUNK: usize = 256 * 1024;

/// A piece of the replay, in file order.
#[derive(Debug)]
pub enum Piece<'a> {
    /// Complete NDJSON lines for `events` dispatches, ready to write.
    Lines {
        /// The lines, each with its newline.
        text: &'a str,
        /// How many dispatches they are.
        events: u64,
        /// Of those, how many of each `t` (empty when the frame had none).
        types: &'a [(Arc<str>, u64)],
        /// The recording offset of the last of them.
        offset: Duration,
    },
    /// An item the caller handles itself: a selected lifecycle event, or a dispatch from a line
    /// the workers left to the reader.
    Item(ReplayItem),
}

/// Replays a recording through a [`Selection`] to NDJSON, parsing and formatting on worker
/// threads. For plain (uncompressed) recordings and selections that depend on each record alone
/// ([`Selection::is_per_record`]); [`NdjsonReplay::new`] gives the reader back otherwise.
pub struct NdjsonReplay {
    reader: RecordReader,
    selection: Arc<Selection>,
    target: usize,
    jobs: Option<mpsc::Sender<Job>>,
    results: mpsc::Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
    max_in_flight: usize,
    in_flight: usize,
    /// The next chunk to send and the next to consume.
    sent: u64,
    wanted: u64,
    /// Chunks finished before the ones ahead of them.
    early: BTreeMap<u64, Worked>,
    reading_ended: bool,
    finished: bool,
    spare: Vec<(Vec<u8>, String)>,
    current: Option<Current>,
}

impl std::fmt::Debug for NdjsonReplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdjsonReplay")
            .field("workers", &self.workers.len())
            .field("reader", &self.reader)
            .finish_non_exhaustive()
    }
}

struct Job {
    id: u64,
    data: Vec<u8>,
    out: String,
    end: ChunkEnd,
}

struct Done {
    id: u64,
    worked: std::thread::Result<Worked>,
}

/// A chunk after a worker: its output in segments, each followed by a line left to the reader.
struct Worked {
    data: Vec<u8>,
    out: String,
    lines: u64,
    segments: Vec<Segment>,
    end: ChunkEnd,
}

#[derive(Default)]
struct Segment {
    out: Range<usize>,
    events: u64,
    types: Vec<(Arc<str>, u64)>,
    offset: Duration,
    then: Option<LeftLine>,
}

/// A line for the reader: its index in the chunk and its bytes (without the newline).
struct LeftLine {
    index: u64,
    raw: Range<usize>,
    terminated: bool,
}

struct Current {
    worked: Worked,
    /// The next segment, and whether its output has been given out.
    segment: usize,
    output_given: bool,
    first_line: u64,
}

enum Step {
    Lines(usize),
    Item(ReplayItem),
}

impl NdjsonReplay {
    /// Replay `reader` through `selection` on `workers` threads (at least one), in chunks of
    /// about [`CHUNK`] bytes. The reader comes back when this path cannot be exact for it: a
    /// compressed source, or `--until` / `--to-seq`.
    pub fn new(
        reader: RecordReader,
        selection: Selection,
        workers: usize,
    ) -> Result<NdjsonReplay, Box<RecordReader>> {
        NdjsonReplay::with_chunk(reader, selection, workers, CHUNK)
    }

    /// [`NdjsonReplay::new`] with another chunk size (tests use tiny ones).
    pub fn with_chunk(
        reader: RecordReader,
        selection: Selection,
        workers: usize,
        chunk: usize,
    ) -> Result<NdjsonReplay, Box<RecordReader>> {
        if workers == 0 || reader.compressed() || !selection.is_per_record() {
            return Err(Box::new(reader));
        }
        let selection = Arc::new(selection);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let (done, results) = mpsc::channel();
        let max_line = reader.max_line();
        let mut handles = Vec::with_capacity(workers);
        for n in 0..workers {
            let queue = queue.clone();
            let done = done.clone();
            let selection = selection.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("qqbot-replay-{n}"))
                .spawn(move || work_loop(&queue, &done, &selection, max_line));
            match spawned {
                Ok(handle) => handles.push(handle),
                // No thread to be had: the sequential reader does the job.
                Err(_) if handles.is_empty() => return Err(Box::new(reader)),
                Err(_) => break,
            }
        }
        let max_in_flight = handles.len() * 2;
        Ok(NdjsonReplay {
            reader,
            selection,
            target: chunk.max(1),
            jobs: Some(jobs),
            results,
            workers: handles,
            max_in_flight,
            in_flight: 0,
            sent: 0,
            wanted: 0,
            early: BTreeMap::new(),
            reading_ended: false,
            finished: false,
            spare: Vec::new(),
            current: None,
        })
    }

    /// The reader (header, warnings, line number).
    pub fn reader(&self) -> &RecordReader {
        &self.reader
    }

    /// The next piece in file order; `None` at the end, after the first error.
    pub fn next_piece(&mut self) -> Option<Result<Piece<'_>, RecordError>> {
        match self.step()? {
            Ok(Step::Lines(segment)) => {
                let current = self.current.as_ref().expect("a chunk being given out");
                let segment = &current.worked.segments[segment];
                Some(Ok(Piece::Lines {
                    text: &current.worked.out[segment.out.clone()],
                    events: segment.events,
                    types: &segment.types,
                    offset: segment.offset,
                }))
            }
            Ok(Step::Item(item)) => Some(Ok(Piece::Item(item))),
            Err(e) => Some(Err(e)),
        }
    }

    fn step(&mut self) -> Option<Result<Step, RecordError>> {
        loop {
            if self.finished {
                return None;
            }
            if self.current.is_some() {
                if let Some(step) = self.step_current() {
                    return Some(step);
                }
                continue;
            }
            self.send_chunks();
            if self.in_flight == 0 {
                self.finished = true;
                return None;
            }
            let worked = loop {
                if let Some(worked) = self.early.remove(&self.wanted) {
                    break worked;
                }
                let done = self
                    .results
                    .recv()
                    .expect("replay workers stop only when the replay is dropped");
                match done.worked {
                    Ok(worked) => self.early.insert(done.id, worked),
                    Err(panic) => std::panic::resume_unwind(panic),
                };
            };
            self.in_flight -= 1;
            self.wanted += 1;
            self.current = Some(Current {
                worked,
                segment: 0,
                output_given: false,
                first_line: self.reader.line_number(),
            });
        }
    }

    /// The next step inside the current chunk; `None` (and the chunk recycled) when it is done.
    fn step_current(&mut self) -> Option<Result<Step, RecordError>> {
        let current = self.current.as_mut()?;
        while let Some(segment) = current.worked.segments.get(current.segment) {
            if !current.output_given {
                current.output_given = true;
                if !segment.out.is_empty() {
                    return Some(Ok(Step::Lines(current.segment)));
                }
            }
            let index = current.segment;
            current.segment += 1;
            current.output_given = false;
            let Some(left) = current.worked.segments[index].then.take() else {
                continue;
            };
            let worked = &mut current.worked;
            let lines = worked.lines;
            let end = &mut worked.end;
            let last = || {
                if !left.terminated {
                    Ok(true)
                } else if left.index + 1 < lines {
                    Ok(false)
                } else {
                    match std::mem::replace(end, ChunkEnd::End) {
                        ChunkEnd::More | ChunkEnd::TooLong => Ok(false),
                        ChunkEnd::End => Ok(true),
                        ChunkEnd::Failed(e) => Err(e),
                    }
                }
            };
            let line = current.first_line + left.index + 1;
            let raw = &worked.data[left.raw.clone()];
            match self.reader.chunk_line(raw, line, last) {
                Ok(Some(record)) => {
                    if self.selection.matches(&record) {
                        let offset = record.offset();
                        if let Some(item) = to_item(record) {
                            return Some(Ok(Step::Item(ReplayItem { offset, item })));
                        }
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
            }
        }
        let current = self.current.take()?;
        let Worked {
            data,
            out,
            lines,
            end,
            ..
        } = current.worked;
        self.reader
            .chunk_done(current.first_line + lines, data.len());
        self.spare.push((data, out));
        match self.reader.chunk_error(end) {
            Some(e) => {
                self.finished = true;
                Some(Err(e))
            }
            None => None,
        }
    }

    /// Read and send chunks while fewer than the limit are out.
    fn send_chunks(&mut self) {
        while !self.reading_ended && self.in_flight < self.max_in_flight {
            let (mut data, out) = self.spare.pop().unwrap_or_default();
            let end = self.reader.read_chunk(&mut data, self.target);
            let more = matches!(end, ChunkEnd::More);
            if !more {
                self.reading_ended = true;
                if data.is_empty() && matches!(end, ChunkEnd::End) {
                    break;
                }
            }
            let job = Job {
                id: self.sent,
                data,
                out,
                end,
            };
            let sent = self
                .jobs
                .as_ref()
                .is_some_and(|jobs| jobs.send(job).is_ok());
            assert!(sent, "replay workers stop only when the replay is dropped");
            self.sent += 1;
            self.in_flight += 1;
        }
    }
}

impl Drop for NdjsonReplay {
    fn drop(&mut self) {
        // Workers stop when the job queue closes.
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

fn work_loop(
    queue: &Mutex<mpsc::Receiver<Job>>,
    done: &mpsc::Sender<Done>,
    selection: &Selection,
    max_line: usize,
) {
    let mut cache = LineCache::default();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let id = job.id;
        let worked = std::panic::catch_unwind(AssertUnwindSafe(|| {
            work(job, selection, max_line, &mut cache)
        }));
        if done.send(Done { id, worked }).is_err() {
            return;
        }
    }
}

/// Parse and format a chunk's lines.
fn work(job: Job, selection: &Selection, max_line: usize, cache: &mut LineCache) -> Worked {
    let Job {
        data, mut out, end, ..
    } = job;
    out.clear();
    let mut segments = Vec::new();
    let mut segment = Segment::default();
    let mut start = 0;
    let mut index = 0u64;
    while start < data.len() {
        let (raw_end, next, terminated) = match memchr::memchr(b'\n', &data[start..]) {
            Some(at) => (start + at, start + at + 1, true),
            None => (data.len(), data.len(), false),
        };
        let raw = &data[start..raw_end];
        match format_line(raw, max_line, selection, cache, &mut out) {
            Line::Written(t, offset) => {
                segment.events += 1;
                segment.offset = offset;
                match segment
                    .types
                    .iter_mut()
                    .find(|(name, _)| Arc::ptr_eq(name, &t) || **name == *t)
                {
                    Some((_, n)) => *n += 1,
                    None => segment.types.push((t, 1)),
                }
            }
            Line::Nothing => {}
            Line::Left => {
                let out_start = segment.out.start;
                segment.out = out_start..out.len();
                segment.then = Some(LeftLine {
                    index,
                    raw: start..raw_end,
                    terminated,
                });
                segments.push(std::mem::take(&mut segment));
                segment.out = out.len()..out.len();
            }
        }
        index += 1;
        start = next;
    }
    segment.out = segment.out.start..out.len();
    segments.push(segment);
    Worked {
        data,
        out,
        lines: index,
        segments,
        end,
    }
}

enum Line {
    /// A selected dispatch, written out; its `t` and recording offset.
    Written(Arc<str>, Duration),
    /// Blank, or not selected.
    Nothing,
    /// For the reader.
    Left,
}

fn format_line(
    raw: &[u8],
    max_line: usize,
    selection: &Selection,
    cache: &mut LineCache,
    out: &mut String,
) -> Line {
    if raw.len() > max_line {
        return Line::Left;
    }
    let line = trim_eol(raw);
    if is_blank(line) {
        return Line::Nothing;
    }
    let Ok(text) = simdutf8::basic::from_utf8(line) else {
        return Line::Left;
    };
    let Some(parts) = frame_parts(text, cache) else {
        return Line::Left;
    };
    let env = &parts.envelope;
    if !selection.matches_frame(parts.offset, parts.dir, env) {
        return Line::Nothing;
    }
    let t = env.t.clone().unwrap_or_else(|| Arc::from(""));
    write_dispatch(
        out,
        &DispatchLine {
            received_at: &parts.at,
            shard: parts.shard,
            seq: env.seq,
            t: &t,
            id: env.id(parts.text),
            d: env.d(parts.text),
        },
    );
    Line::Written(t, parts.offset)
}

#[cfg(test)]
mod tests {
    use std::io::{self, Read};
    use std::time::Duration;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::output::Stats;
    use crate::output::ndjson::write_line;
    use crate::record::{Replay, Selection};

    const HEADER: &str = r#"{"format":"qqbot-recording","version":"1.0","qqbot_version":"0.1.0","started_at":"2026-11-27T09:40:00Z","gateway":"","sandbox":false,"intents":0,"shards":2,"app_id":"","redaction":{"tokens":true,"ids":false,"content":false}}"#;

    /// A source that fails after `ok` bytes (a disk error mid-file).
    struct Failing {
        data: io::Cursor<Vec<u8>>,
        ok: u64,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let left = self.ok.saturating_sub(self.data.position());
            if left == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(left as usize);
            self.data.read(&mut buf[..n])
        }
    }

    fn reader(text: &str, max_line: usize, fail_at: Option<u64>) -> RecordReader {
        let data = text.as_bytes().to_vec();
        match fail_at {
            Some(ok) => RecordReader::from_reader_with_max_line(
                Failing {
                    data: io::Cursor::new(data),
                    ok,
                },
                max_line,
            ),
            None => RecordReader::from_reader_with_max_line(io::Cursor::new(data), max_line),
        }
        .expect("header")
    }

    /// What a replay produced: output, stats, the error, warnings, skipped lines, last line.
    #[derive(Debug, PartialEq)]
    struct Outcome {
        out: String,
        events: u64,
        by_type: Vec<(String, u64)>,
        error: Option<String>,
        warnings: Vec<String>,
        skipped: u64,
        line: u64,
    }

    /// What a replay wrote so far.
    #[derive(Default)]
    struct Collected {
        out: String,
        stats: Stats,
        error: Option<String>,
    }

    impl Collected {
        fn item(&mut self, replayed: &ReplayItem) {
            self.stats.record(&replayed.item);
            write_line(&mut self.out, &replayed.item);
        }

        fn outcome(self, reader: &RecordReader) -> Outcome {
            Outcome {
                out: self.out,
                events: self.stats.events,
                by_type: self.stats.by_type.into_iter().collect(),
                error: self.error,
                warnings: reader.warnings().iter().map(|w| w.to_string()).collect(),
                skipped: reader.skipped(),
                line: reader.line_number(),
            }
        }
    }

    fn sequential(reader: RecordReader, selection: Selection) -> Outcome {
        let mut replay = Replay::new(reader, selection);
        let mut got = Collected::default();
        for next in replay.by_ref() {
            match next {
                Ok(replayed) => got.item(&replayed),
                Err(e) => {
                    got.error = Some(e.to_string());
                    break;
                }
            }
        }
        got.outcome(replay.reader())
    }

    fn parallel(
        reader: RecordReader,
        selection: Selection,
        workers: usize,
        chunk: usize,
    ) -> Outcome {
        let mut replay = NdjsonReplay::with_chunk(reader, selection, workers, chunk)
            .unwrap_or_else(|_| panic!("parallel replay refused"));
        let mut got = Collected::default();
        while let Some(next) = replay.next_piece() {
            match next {
                Ok(Piece::Lines {
                    text,
                    events,
                    types,
                    ..
                }) => {
                    assert_eq!(text.matches('\n').count() as u64, events);
                    assert_eq!(types.iter().map(|(_, n)| n).sum::<u64>(), events);
                    for (t, n) in types {
                        got.stats.record_dispatches(t, *n);
                    }
                    got.out.push_str(text);
                }
                Ok(Piece::Item(replayed)) => got.item(&replayed),
                Err(e) => {
                    got.error = Some(e.to_string());
                    break;
                }
            }
        }
        got.outcome(replay.reader())
    }

    fn frame_line(offset: u64, shard: u32, dir: &str, frame: &str) -> String {
        format!(
            r#"{{"type":"frame","offset_us":{offset},"at":"2026-11-27T09:40:{:02}.{:06}Z","shard":[{shard},2],"dir":"{dir}","frame":{frame}}}"#,
            (offset / 1_000_000) % 60,
            offset % 1_000_000
        )
    }

    /// One random line of any kind the reader meets, good or bad.
    fn random_line(rng: &mut StdRng, n: u64) -> String {
        let offset = n * 1000;
        let shard = rng.random_range(0..2);
        let t = [
            "AT_MESSAGE_CREATE",
            "GROUP_AT_MESSAGE_CREATE",
            "C2C_MESSAGE_CREATE",
        ][rng.random_range(0..3)];
        let d = format!(
            r#"{{"author":{{"avatar":"https://thirdqq.qlogo.cn/g?b=oidb\u0026k={n}\u0026s=0","id":"{n}"}},"content":"\u003c@!1\u003e 第 {n} 次 \"q\" \\ \ud83d\ude00","seq":{n},"x":[1,-2.5e3,true,null,{{}}]}}"#
        );
        let dispatch = format!(r#"{{"op":0,"s":{n},"t":"{t}","id":"{t}:{n}","d":{d}}}"#);
        match rng.random_range(0..100) {
            0..=59 => frame_line(offset, shard, "rx", &dispatch),
            60..=64 => frame_line(offset, shard, "tx", r#"{"op":1,"d":7}"#),
            65..=67 => frame_line(offset, shard, "rx", r#"{"op":11}"#),
            // Escaped `t`/`id`, no `s`, `d` null, spaces: the serde peek's cases.
            68..=69 => frame_line(
                offset,
                shard,
                "rx",
                &format!(r#"{{"op":0,"t":"AT_\u004dESSAGE_CREATE","id":"a\u0026{n}","d":null}}"#),
            ),
            70 => frame_line(
                offset,
                shard,
                "rx",
                &format!(r#"{{ "d" : [ ] , "op" : 0 , "s" : {n} }}"#),
            ),
            // Not the writer's layout: the generic reader.
            71..=73 => format!(
                r#"{{"dir":"rx","frame":{dispatch},"shard":[{shard},2],"at":"2026-11-27T09:40:00.5Z","offset_us":{offset},"type":"frame"}}"#
            ),
            74 => format!(
                r#"{{"type":"frame","offset_us":{offset},"at":"2026-11-27T09:40:00Z","shard":[{shard},2],"dir":"rx","frame_text":"{{\"op\":0,\"s\":{n},\"t\":\"X\",\"d\":{{}}}}\n"}}"#
            ),
            75..=79 => format!(
                r#"{{"type":"event","offset_us":{offset},"at":"2026-11-27T10:10:01Z","shard":[{shard},2],"kind":"close","code":4009,"reason":"Session timed out","origin":"server","action":"resume"}}"#
            ),
            80..=81 => format!(
                r#"{{"type":"event","offset_us":{offset},"at":"2026-11-27T10:10:01Z","shard":[{shard},2],"kind":"heartbeat_ack","rtt_ns":1500000}}"#
            ),
            82..=83 => {
                format!(r#"{{"type":"note","offset_us":{offset},"text":"from the future"}}"#)
            }
            84..=85 => String::new(),
            86 => "   \t".to_owned(),
            // CRLF line endings.
            87..=89 => format!("{}\r", frame_line(offset, shard, "rx", &dispatch)),
            // A long line, over small limits.
            90..=91 => frame_line(
                offset,
                shard,
                "rx",
                &format!(r#"{{"op":0,"s":{n},"t":"{t}","d":"{}"}}"#, "x".repeat(3000)),
            ),
            // Invalid frames and lines.
            92 => frame_line(offset, shard, "rx", r#"{"op":0,"d":"\x"}"#),
            93 => frame_line(offset, shard, "rx", r#"{"op":0,"d":{"a":1,}}"#),
            94 => format!("{{\"type\":\"frame\",\"offset_us\":{offset}"),
            95 => "not json".to_owned(),
            96 => format!("{}\u{1}", frame_line(offset, shard, "rx", &dispatch)),
            _ => frame_line(
                offset,
                shard,
                "rx",
                r#"{"op":0,"s":1,"t":"X","d":"\ud800 lone"}"#,
            ),
        }
    }

    fn recording(lines: &[String], terminated: bool) -> String {
        let mut text = format!("{HEADER}\n");
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        if !terminated {
            text.pop();
        }
        text
    }

    fn selections() -> Vec<Selection> {
        vec![
            Selection::default(),
            Selection::everything(),
            Selection {
                from_seq: Some(40),
                since: Some(Duration::from_millis(30)),
                types: vec!["at_message_create".into(), "X".into()],
                include_control: true,
                ..Selection::default()
            },
        ]
    }

    /// Random recordings, good lines only and with every kind of bad one, through both paths:
    /// the same bytes out, the same counts, error, warnings and line numbers.
    #[test]
    fn workers_write_what_the_sequential_replay_writes() {
        let mut rng = StdRng::seed_from_u64(15);
        let mut compared = 0;
        // Outcomes met: errors, warnings, skipped lines, lifecycle items, clean runs.
        let mut seen = [0u32; 5];
        for case in 0..60 {
            let count = rng.random_range(0..120);
            let mut lines: Vec<String> = (1..=count).map(|n| random_line(&mut rng, n)).collect();
            // A read error right after a bad line reads differently depending on where the
            // buffer ends (the sequential reader looks ahead to see if the line was the last):
            // read errors are tested with good lines.
            let failing = case % 7 == 3;
            if case % 3 == 0 || failing {
                // Good lines only (bad ones end the replay early).
                lines.retain(|l| !l.contains("\\x") && !l.contains(",}") && l != "not json");
                lines.retain(|l| {
                    !l.contains('\u{1}') && (l.starts_with('{') || l.trim().is_empty())
                });
                lines.retain(|l| l.ends_with('}') || l.ends_with('\r') || l.trim().is_empty());
            }
            let terminated = case % 4 != 1;
            let text = recording(&lines, terminated);
            let max_line = if case % 5 == 2 {
                2000
            } else {
                MAX_LINE_FOR_TESTS
            };
            let len = text.len() as u64;
            // Past the header (a failing header is an error before any replay).
            let fail_at =
                failing.then(|| rng.random_range((HEADER.len() as u64 + 1).min(len)..=len));
            for selection in selections() {
                let want = sequential(reader(&text, max_line, fail_at), selection.clone());
                seen[0] += u32::from(want.error.is_some());
                seen[1] += u32::from(!want.warnings.is_empty());
                seen[2] += u32::from(want.skipped > 0);
                seen[3] += u32::from(want.out.contains("\"kind\":\"close\""));
                seen[4] +=
                    u32::from(want.error.is_none() && want.warnings.is_empty() && want.events > 20);
                for (workers, chunk) in [(1, 1), (2, 300), (3, 4096), (2, 1 << 20)] {
                    let got = parallel(
                        reader(&text, max_line, fail_at),
                        selection.clone(),
                        workers,
                        chunk,
                    );
                    if got != want {
                        let same = got.out.len().min(want.out.len());
                        let first = (0..same)
                            .find(|&i| got.out.as_bytes()[i] != want.out.as_bytes()[i])
                            .unwrap_or(same);
                        panic!(
                            "case {case}, {workers} workers, chunks of {chunk}: output differs from byte {first} ({} vs {} bytes); got error {:?}, warnings {:?}, line {}, skipped {}; want error {:?}, warnings {:?}, line {}, skipped {}",
                            got.out.len(),
                            want.out.len(),
                            got.error,
                            got.warnings,
                            got.line,
                            got.skipped,
                            want.error,
                            want.warnings,
                            want.line,
                            want.skipped
                        );
                    }
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 60 * 3 * 4);
        assert!(
            seen.iter().all(|&n| n >= 3),
            "every kind of outcome met: {seen:?}"
        );
    }

    const MAX_LINE_FOR_TESTS: usize = crate::record::MAX_LINE;

    /// The cases that end a replay, one by one, at the start, middle and end of a chunk.
    #[test]
    fn errors_and_torn_tails_match_the_sequential_replay() {
        let good = |n: u64| {
            frame_line(
                n,
                0,
                "rx",
                &format!(r#"{{"op":0,"s":{n},"t":"X","id":"X:{n}","d":{{"n":{n}}}}}"#),
            )
        };
        let bad = [
            "not json".to_owned(),
            frame_line(9, 0, "rx", r#"{"op":0,"d":"\u12"}"#),
            "{\"type\":\"frame\"".to_owned(),
            "\u{7f}ELF".to_owned(),
        ];
        for bad in &bad {
            for at in [0usize, 1, 5, 9] {
                for terminated in [true, false] {
                    let mut lines: Vec<String> = (1..=10).map(good).collect();
                    lines.insert(at.min(lines.len()), bad.clone());
                    if at == 9 {
                        lines.truncate(10);
                        lines.push(bad.clone());
                    }
                    let text = recording(&lines, terminated);
                    let want = sequential(
                        reader(&text, MAX_LINE_FOR_TESTS, None),
                        Selection::default(),
                    );
                    assert!(
                        want.error.is_some() || !want.warnings.is_empty(),
                        "{bad} at {at}"
                    );
                    for chunk in [1, 200, 1 << 16] {
                        let got = parallel(
                            reader(&text, MAX_LINE_FOR_TESTS, None),
                            Selection::default(),
                            2,
                            chunk,
                        );
                        assert_eq!(
                            got, want,
                            "{bad} at {at}, terminated {terminated}, chunks of {chunk}"
                        );
                    }
                }
            }
        }
    }

    /// A line over the limit is an error naming it, after the lines before it, on both paths:
    /// in the middle of a chunk, and as a line longer than any chunk.
    #[test]
    fn long_lines_are_errors_at_their_line() {
        let good = |n: u64| frame_line(n, 0, "rx", r#"{"op":0,"s":1,"t":"X","d":{}}"#);
        let long = frame_line(
            5,
            0,
            "rx",
            &format!(r#"{{"op":0,"d":"{}"}}"#, "y".repeat(5000)),
        );
        for terminated in [true, false] {
            let text = recording(&[good(1), good(2), long.clone(), good(3)], terminated);
            let want = sequential(reader(&text, 1000, None), Selection::default());
            let error = want.error.as_deref().expect("an error");
            assert!(error.starts_with("line 4 is longer than"), "{error}");
            for chunk in [1, 100, 600, 1 << 16] {
                assert_eq!(
                    parallel(reader(&text, 1000, None), Selection::default(), 2, chunk),
                    want
                );
            }
        }
    }

    /// Compressed sources and early-ending selections take the sequential reader.
    #[test]
    fn refuses_what_it_cannot_do_exactly() {
        let text = recording(&[], true);
        for selection in [
            Selection {
                until: Some(Duration::from_secs(1)),
                ..Selection::default()
            },
            Selection {
                to_seq: Some(3),
                ..Selection::default()
            },
        ] {
            assert!(
                NdjsonReplay::new(reader(&text, MAX_LINE_FOR_TESTS, None), selection, 2).is_err()
            );
        }
        assert!(
            NdjsonReplay::new(
                reader(&text, MAX_LINE_FOR_TESTS, None),
                Selection::default(),
                0
            )
            .is_err()
        );
        let compressed = zstd::encode_all(text.as_bytes(), 1).expect("compress");
        let zst = RecordReader::from_reader(io::Cursor::new(compressed)).expect("header");
        assert!(NdjsonReplay::new(zst, Selection::default(), 2).is_err());
    }
}
