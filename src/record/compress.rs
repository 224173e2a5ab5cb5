//! Transparent zstd: files whose name ends in `.zst` are compressed on write; input starting with
//! the zstd magic number is decompressed on read (so `-`/stdin works too).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// zstd frame magic number, little-endian on the wire.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Whether `head` starts with a zstd skippable frame (magic `0x184D2A50`–`0x184D2A5F`), which
/// decoders skip: a valid zstd stream may start with one (metadata some tools add).
fn starts_with_skippable(head: &[u8]) -> bool {
    matches!(head, [m, 0x2A, 0x4D, 0x18, ..] if m & 0xF0 == 0x50)
}

/// Compression level for recordings: fast, still a large gain on repetitive JSON.
const LEVEL: i32 = 3;

/// Whether a path names a compressed recording.
pub fn is_zstd_path(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "zst")
}

/// Where a file-backed writer writes: a buffered file, optionally through a zstd encoder.
pub enum FileSink {
    /// Plain NDJSON.
    Plain(BufWriter<File>),
    /// zstd-compressed NDJSON. `flush` ends the current block, so everything written before a
    /// flush can be decompressed even if the process dies afterwards.
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl std::fmt::Debug for FileSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileSink::Plain(_) => "FileSink::Plain",
            FileSink::Zstd(_) => "FileSink::Zstd",
        })
    }
}

impl FileSink {
    /// Create (truncate) `path`; zstd when it ends in `.zst`.
    pub fn create(path: &Path) -> io::Result<FileSink> {
        let file = BufWriter::with_capacity(64 * 1024, File::create(path)?);
        if is_zstd_path(path) {
            let mut encoder = zstd::stream::write::Encoder::new(file, LEVEL)?;
            // A content checksum per frame, so damaged bytes are detected on read.
            encoder.include_checksum(true)?;
            Ok(FileSink::Zstd(encoder))
        } else {
            Ok(FileSink::Plain(file))
        }
    }

    /// Flush, end the compressed stream, and sync the file to disk.
    pub fn finish(self) -> io::Result<()> {
        let file = match self {
            FileSink::Plain(w) => w,
            FileSink::Zstd(enc) => enc.finish()?,
        };
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()
    }
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            FileSink::Plain(w) => w.write(buf),
            FileSink::Zstd(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            FileSink::Plain(w) => w.write_all(buf),
            FileSink::Zstd(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            FileSink::Plain(w) => w.flush(),
            FileSink::Zstd(w) => {
                w.flush()?;
                w.get_mut().flush()
            }
        }
    }
}

/// A line source and how far it has got.
pub(crate) struct Input {
    pub(crate) lines: Box<dyn BufRead + Send>,
    pub(crate) progress: ReadProgress,
}

impl Input {
    /// Whether it is decompressing (its errors near the end mean a torn tail).
    pub(crate) fn compressed(&self) -> bool {
        self.progress.compressed
    }
}

/// How far a reader has got through its input, in bytes as stored: lines parsed so far for a
/// plain file, compressed bytes taken in for a zstd one (ahead of parsing by at most one
/// buffer). Cheap to clone and read from another thread, e.g. for a progress bar over the file
/// size.
#[derive(Debug, Clone, Default)]
pub struct ReadProgress {
    raw: Arc<AtomicU64>,
    lines: Arc<AtomicU64>,
    compressed: bool,
}

impl ReadProgress {
    /// Bytes of the source behind the records read so far.
    pub fn bytes(&self) -> u64 {
        let counter = if self.compressed {
            &self.raw
        } else {
            &self.lines
        };
        counter.load(Ordering::Relaxed)
    }

    /// Count a line of `len` bytes (with its newline) as read.
    pub(crate) fn line_read(&self, len: usize) {
        self.lines.fetch_add(len as u64, Ordering::Relaxed);
    }
}

/// Counts what passes through into a [`ReadProgress`].
struct Counting<R> {
    inner: R,
    progress: ReadProgress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.raw.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Buffer size for reading lines.
const READ_BUF: usize = 256 * 1024;

/// Wrap `reader`, decompressing when it starts with the zstd magic number.
pub(crate) fn input<R: Read + Send + 'static>(reader: R) -> io::Result<Input> {
    let mut progress = ReadProgress::default();
    let counting = Counting {
        inner: reader,
        progress: progress.clone(),
    };
    let mut buffered = BufReader::with_capacity(READ_BUF, counting);
    let head = buffered.fill_buf()?;
    if head.starts_with(&ZSTD_MAGIC) || starts_with_skippable(head) {
        progress.compressed = true;
        let decoder = zstd::stream::read::Decoder::with_buffer(buffered)?;
        Ok(Input {
            lines: Box::new(BufReader::with_capacity(READ_BUF, decoder)),
            progress,
        })
    } else {
        Ok(Input {
            lines: Box::new(buffered),
            progress,
        })
    }
}

/// Open `path` for reading (decompressing as needed).
pub(crate) fn open(path: &Path) -> io::Result<Input> {
    input(File::open(path)?)
}
