//! Errors and warnings of the recording library. `Display` describes one layer; the cause is the
//! `source`.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Something went wrong opening, writing or reading a recording.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file could not be opened or created.
    #[error("cannot open recording {}", path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Writing (or flushing, or finishing the compressed stream) failed.
    #[error("cannot write recording")]
    Write(#[source] io::Error),
    /// Reading failed (not a torn tail: a real I/O error).
    #[error("cannot read recording at line {line}")]
    Read {
        /// 1-based line being read.
        line: u64,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Line 1 is not a qqbot recording header.
    #[error("not a qqbot recording: {reason}")]
    NotARecording {
        /// What is wrong with line 1.
        reason: String,
    },
    /// The file is empty.
    #[error("not a qqbot recording: the file is empty")]
    Empty,
    /// A newer major version.
    #[error(
        "recording format {found} is newer than this qqbot understands ({}.x); upgrade qqbot",
        super::format::FORMAT_MAJOR
    )]
    NewerVersion {
        /// The version in the header.
        found: String,
    },
    /// A version that is not `MAJOR.MINOR` or is older than 1.0.
    #[error("unsupported recording format version `{found}`")]
    UnsupportedVersion {
        /// The version in the header.
        found: String,
    },
    /// The compressed data is damaged (a zstd decoding error or checksum mismatch, not a
    /// truncated tail, which is a [`Warning`]).
    #[error("the recording's compressed data is corrupt (at line {line})")]
    Corrupt {
        /// 1-based line being read when the damage showed.
        line: u64,
        /// zstd's words.
        #[source]
        source: io::Error,
    },
    /// A line is longer than the reader's limit ([`MAX_LINE`](super::reader::MAX_LINE) unless
    /// set otherwise); reading stops there.
    #[error("line {line} is longer than {}, the limit for one recording line", bytes(*limit))]
    LineTooLong {
        /// 1-based line number.
        line: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// A line in the middle of the file is not a valid record.
    #[error("invalid record at line {line}")]
    InvalidLine {
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        #[source]
        source: LineError,
    },
}

impl RecordError {
    pub(crate) fn not_a_recording(reason: impl Into<String>) -> RecordError {
        RecordError::NotARecording {
            reason: reason.into(),
        }
    }

    /// The 1-based line number the error is about, when there is one.
    pub fn line(&self) -> Option<u64> {
        match self {
            RecordError::Read { line, .. }
            | RecordError::InvalidLine { line, .. }
            | RecordError::LineTooLong { line, .. }
            | RecordError::Corrupt { line, .. } => Some(*line),
            RecordError::NotARecording { .. }
            | RecordError::NewerVersion { .. }
            | RecordError::UnsupportedVersion { .. } => Some(1),
            _ => None,
        }
    }
}

/// `32 MiB`, `1 KiB` or `100 bytes`.
fn bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// What is wrong with one line.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// Not JSON, or JSON of the wrong shape.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Not UTF-8.
    #[error("not valid UTF-8")]
    Utf8,
    /// A required key is missing.
    #[error("missing `{0}`")]
    Missing(&'static str),
    /// A key has a value the format does not allow.
    #[error("invalid `{field}`: {value}")]
    Invalid {
        /// The key.
        field: &'static str,
        /// The offending value (shortened).
        value: String,
    },
}

impl LineError {
    pub(crate) fn invalid(field: &'static str, value: &str) -> LineError {
        let mut short: String = value.chars().take(60).collect();
        if short.len() < value.len() {
            short.push('…');
        }
        LineError::Invalid {
            field,
            value: short,
        }
    }
}

/// A problem the reader tolerated (a torn last line, a truncated compressed tail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line number.
    pub line: u64,
    /// What was tolerated.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}
