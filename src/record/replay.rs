//! Replay: records back into [`GatewayItem`]s, and which records to replay.
//!
//! A replayed dispatch carries the stored frame text and the recorded wall time, so
//! `output::ndjson::write_line` prints exactly what `listen` printed while recording.

use std::sync::Arc;
use std::time::Duration;

use super::error::RecordError;
use super::format::Dir;
use super::reader::{FrameRecord, Record, RecordReader};
use crate::gateway::{Dispatch, GatewayItem, ItemKind};
use crate::protocol::Peeked;

/// The gateway item a record stands for: rx dispatches (op 0) and lifecycle events. Other frames
/// (tx frames, Hello, ACKs, op 7/9 frames) are protocol traffic with no item of their own (their
/// lifecycle items are recorded as events).
pub fn to_item(record: Record) -> Option<GatewayItem> {
    match record {
        Record::Frame(frame) => frame_to_item(frame),
        Record::Event(event) => Some(GatewayItem {
            shard: event.shard,
            received_at: event.at,
            kind: event.kind,
        }),
    }
}

fn frame_to_item(frame: FrameRecord) -> Option<GatewayItem> {
    let env = frame.envelope?;
    if frame.dir != Dir::Rx || env.op != 0 {
        return None;
    }
    Some(GatewayItem {
        shard: frame.shard,
        received_at: frame.at,
        kind: ItemKind::Dispatch(Dispatch::from_peeked(env, || Arc::from(""), frame.text)),
    })
}

/// Which records to replay (`--from-seq`, `--to-seq`, `--since`, `--until`, `--event`,
/// `--include-control`). The default selects every dispatch and no lifecycle events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Dispatches with `s` ≥ this (dispatches without `s` are then excluded).
    pub from_seq: Option<u64>,
    /// Dispatches with `s` ≤ this (dispatches without `s` are then excluded).
    pub to_seq: Option<u64>,
    /// Records at or after this offset from the start of the recording.
    pub since: Option<Duration>,
    /// Records at or before this offset.
    pub until: Option<Duration>,
    /// Dispatch types (`t`) to keep, compared case-insensitively; empty keeps all.
    pub types: Vec<String>,
    /// Also replay lifecycle events (connected, close, resumed, …). Seq and type bounds apply to
    /// dispatches only; the time window applies to both.
    pub include_control: bool,
}

impl Selection {
    /// Every dispatch and every lifecycle event.
    pub fn everything() -> Selection {
        Selection {
            include_control: true,
            ..Selection::default()
        }
    }

    /// Whether `record` is selected. Frames that are not rx dispatches are never selected.
    pub fn matches(&self, record: &Record) -> bool {
        match record {
            Record::Event(event) => self.in_window(event.offset) && self.include_control,
            Record::Frame(frame) => frame
                .envelope
                .as_ref()
                .is_some_and(|env| self.matches_frame(frame.offset, frame.dir, env)),
        }
    }

    /// Whether a frame recorded at `offset` in direction `dir`, with envelope `env`, is
    /// selected: an rx dispatch inside the window, seq bounds and types.
    pub fn matches_frame(&self, offset: Duration, dir: Dir, env: &Peeked) -> bool {
        if !self.in_window(offset) || dir != Dir::Rx || env.op != 0 {
            return false;
        }
        let seq_ok = match (self.from_seq, self.to_seq, env.seq) {
            (None, None, _) => true,
            (_, _, None) => false,
            (from, to, Some(s)) => from.is_none_or(|f| s >= f) && to.is_none_or(|t| s <= t),
        };
        seq_ok
            && (self.types.is_empty()
                || env
                    .t
                    .as_deref()
                    .is_some_and(|t| self.types.iter().any(|want| want.eq_ignore_ascii_case(t))))
    }

    fn in_window(&self, offset: Duration) -> bool {
        !(self.since.is_some_and(|s| offset < s) || self.until.is_some_and(|u| offset > u))
    }

    /// Whether each record's selection depends on that record alone: no `--until` and no
    /// `--to-seq`, which end replay early ([`Replay`] tracks them).
    pub fn is_per_record(&self) -> bool {
        self.until.is_none() && self.to_seq.is_none()
    }

    /// Whether no later record can match (offsets only grow), so reading can stop early.
    pub fn is_past(&self, record: &Record) -> bool {
        self.until.is_some_and(|u| record.offset() > u)
    }
}

/// One replayed item with its offset in the recording (for pacing).
#[derive(Debug, Clone)]
pub struct ReplayItem {
    /// Offset since the recording started.
    pub offset: Duration,
    /// The item as `listen` saw it.
    pub item: GatewayItem,
}

/// Selected items from a reader, in file order; stops at the first error, past `--until`, or
/// once every shard has passed `--to-seq` (a shard's lifecycle records stop with its
/// dispatches: nothing after its first dispatch with `s` above the bound is replayed).
#[derive(Debug)]
pub struct Replay {
    reader: RecordReader,
    selection: Selection,
    done: bool,
    /// Shards whose dispatches went past `to_seq`.
    past_to_seq: std::collections::HashSet<u32>,
}

impl Replay {
    /// Replay `reader` through `selection`.
    pub fn new(reader: RecordReader, selection: Selection) -> Replay {
        Replay {
            reader,
            selection,
            done: false,
            past_to_seq: std::collections::HashSet::new(),
        }
    }

    /// The reader (header, warnings, line number).
    pub fn reader(&self) -> &RecordReader {
        &self.reader
    }
}

impl Iterator for Replay {
    type Item = Result<ReplayItem, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let record = match self.reader.next_record() {
                Ok(Some(record)) => record,
                Ok(None) => break,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if self.selection.is_past(&record) {
                break;
            }
            if let Some(to) = self.selection.to_seq {
                let shard = match &record {
                    Record::Frame(f) => f.shard.id,
                    Record::Event(e) => e.shard.id,
                };
                if let Record::Frame(f) = &record
                    && f.dir == Dir::Rx
                    && f.envelope
                        .as_ref()
                        .is_some_and(|e| e.op == 0 && e.seq.is_some_and(|s| s > to))
                {
                    self.past_to_seq.insert(shard);
                    let shards = self.reader.header().shards.max(1) as usize;
                    if self.past_to_seq.len() >= shards {
                        break;
                    }
                }
                if self.past_to_seq.contains(&shard) {
                    continue;
                }
            }
            if !self.selection.matches(&record) {
                continue;
            }
            let offset = record.offset();
            if let Some(item) = to_item(record) {
                return Some(Ok(ReplayItem { offset, item }));
            }
        }
        self.done = true;
        None
    }
}
