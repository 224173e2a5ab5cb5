//! The recorder behind `qqbot record` and `listen --record`: a thread that owns the file, fed by
//! the output pipeline (items) and the shards' frame tap (raw tx frames and non-dispatch rx
//! frames), flushing at least once a second.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use chrono::{DateTime, Utc};

use qqbot::Secret;
use qqbot::gateway::{FrameDir, FrameTap, GatewayItem, ShardId};
use qqbot::protocol::Envelope;
use qqbot::record::{Dir, FLUSH_INTERVAL, Header, RecordError, RecordWriter, Redaction};

use super::exit::CliError;

/// Messages to the recorder thread.
enum Message {
    Item(GatewayItem),
    Frame(FrameDir, ShardId, DateTime<Utc>, String),
}

/// Counters shared with the progress display.
#[derive(Debug, Default)]
pub struct RecordCounters {
    /// Lines written (header included).
    pub lines: AtomicU64,
    /// Frame bytes written.
    pub bytes: AtomicU64,
    /// Messages dropped because the recorder fell behind.
    pub dropped: AtomicU64,
}

/// A recorder: frames and items queue up from the moment it is prepared; the file's header is
/// written once the connection is up (it names the gateway host `/gateway/bot` returned).
pub struct Recorder {
    tx: SyncSender<Message>,
    pending: Option<Receiver<Message>>,
    thread: Option<JoinHandle<Result<(), RecordError>>>,
    counters: Arc<RecordCounters>,
    path: PathBuf,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Capacity of the queue in front of the file.
const QUEUE: usize = 10_000;

impl Recorder {
    /// Check that `path` can be written and start queueing.
    pub fn prepare(path: &Path) -> Result<Recorder, CliError> {
        std::fs::File::create(path).map_err(|e| {
            CliError::failure(format!("cannot record to {}", path.display())).caused_by(&e)
        })?;
        let (tx, rx) = sync_channel(QUEUE);
        Ok(Recorder {
            tx,
            pending: Some(rx),
            thread: None,
            counters: Arc::new(RecordCounters::default()),
            path: path.to_owned(),
        })
    }

    /// Write the header (zstd when the path ends in `.zst`) and start writing what is queued.
    pub fn open(
        &mut self,
        header: &Header,
        redaction: &Redaction,
        secrets: &[&Secret],
    ) -> Result<(), CliError> {
        let Some(rx) = self.pending.take() else {
            return Ok(());
        };
        let mut writer = RecordWriter::create(&self.path, header, redaction).map_err(|e| {
            CliError::failure(format!("cannot record to {}", self.path.display())).caused_by(&e)
        })?;
        for secret in secrets {
            writer.add_secret(secret);
        }
        let counters = Arc::clone(&self.counters);
        let thread = std::thread::Builder::new()
            .name("qqbot-recorder".into())
            .spawn(move || run(writer, rx, &counters))
            .map_err(|e| CliError::failure("cannot start the recorder").caused_by(&e))?;
        self.thread = Some(thread);
        Ok(())
    }

    /// The tap to put in the gateway config. It runs on a shard's task and must not block: it
    /// sees sent frames and received non-dispatch frames (dispatches are recorded as items), a
    /// trickle, and counts a drop if the recorder is 10,000 lines behind.
    pub fn tap(&self) -> FrameTap {
        let tx = self.tx.clone();
        let counters = Arc::clone(&self.counters);
        FrameTap::new(move |dir, shard, frame| {
            let message = Message::Frame(dir, shard, Utc::now(), frame.to_owned());
            if let Err(TrySendError::Full(_)) = tx.try_send(message) {
                counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        })
    }

    /// Record an item, waiting while the recorder is behind (the output pipeline's thread
    /// blocks, the gateway buffer fills and the shards stop reading: nothing is dropped).
    pub fn record(&self, item: &GatewayItem) {
        if self.tx.send(Message::Item(item.clone())).is_err() {
            // The writer thread ended on an error, which `finish` reports.
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counters for progress output.
    pub fn counters(&self) -> Arc<RecordCounters> {
        Arc::clone(&self.counters)
    }

    /// Stop: write what is queued, flush and close the file. Other senders (the tap held by a
    /// cluster) must be gone first, or this waits for them.
    pub fn finish(self) -> Result<(PathBuf, Arc<RecordCounters>), CliError> {
        drop(self.tx);
        let path = self.path;
        let Some(thread) = self.thread else {
            return Ok((path, self.counters));
        };
        match thread.join() {
            Ok(Ok(())) => Ok((path, self.counters)),
            Ok(Err(e)) => Err(
                CliError::failure(format!("recording to {} failed", path.display())).caused_by(&e),
            ),
            Err(_) => Err(CliError::failure("the recorder thread panicked")),
        }
    }
}

fn is_dispatch(frame: &str) -> bool {
    Envelope::peek(frame).is_ok_and(|env| env.op == 0)
}

fn run(
    mut writer: RecordWriter<qqbot::record::FileSink>,
    rx: Receiver<Message>,
    counters: &RecordCounters,
) -> Result<(), RecordError> {
    loop {
        match rx.recv_timeout(FLUSH_INTERVAL) {
            Ok(Message::Item(item)) => {
                if let qqbot::gateway::ItemKind::Dispatch(d) = &item.kind {
                    counters
                        .bytes
                        .fetch_add(d.frame.len() as u64, Ordering::Relaxed);
                }
                writer.write_item(&item)?;
            }
            Ok(Message::Frame(dir, shard, at, text)) => {
                // Received dispatches arrive as items (with the time `listen` printed); READY and
                // RESUMED arrive as lifecycle items. Everything else is kept as a raw frame.
                if dir == FrameDir::Rx && is_dispatch(&text) {
                    continue;
                }
                let dir = match dir {
                    FrameDir::Rx => Dir::Rx,
                    FrameDir::Tx => Dir::Tx,
                };
                counters
                    .bytes
                    .fetch_add(text.len() as u64, Ordering::Relaxed);
                writer.write_frame(dir, shard, &at, &text)?;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        counters.lines.store(writer.lines(), Ordering::Relaxed);
        writer.flush_if_due(Instant::now())?;
    }
    counters.lines.store(writer.lines(), Ordering::Relaxed);
    writer.close()
}
