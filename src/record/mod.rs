//! Recordings: `qqbot record` writes them, `qqbot replay` reads them (format in `FORMAT.md`).
//!
//! - [`RecordWriter`]: header, then one line per frame or lifecycle item; line-atomic, flushed
//!   by the caller's clock, redacting tokens and secrets always and ids/content on request.
//! - [`RecordReader`]: streaming, tolerant of a torn last line, refuses a newer major version.
//! - [`Replay`], [`Selection`], [`Pacer`]: records back into the items `listen` printed, chosen
//!   by seq, time window and type, paced at a speed factor.
//! - [`NdjsonReplay`]: the same replay straight to NDJSON, parsed and formatted on worker
//!   threads.
//! - [`ReplayStats`]: `replay --stats`.
//! - zstd is transparent for paths ending in `.zst` (and detected on read).

mod compress;
mod error;
mod event;
mod format;
mod pace;
mod parallel;
mod reader;
mod redact;
mod replay;
mod scan;
mod stats;
mod writer;

pub use crate::protocol::Peeked;
pub use compress::{FileSink, ReadProgress, is_zstd_path};
pub use error::{LineError, RecordError, Warning};
pub use format::{Dir, FORMAT_MAJOR, FORMAT_NAME, FORMAT_VERSION, Header, RedactionInfo};
pub use pace::{Pacer, Speed, SpeedError};
pub use parallel::{CHUNK, NdjsonReplay, Piece};
pub use reader::{EventRecord, FrameRecord, MAX_LINE, Record, RecordReader};
pub use redact::Redaction;
pub use replay::{Replay, ReplayItem, Selection, to_item};
pub use stats::ReplayStats;
pub use writer::{Clock, FLUSH_INTERVAL, RecordWriter};
