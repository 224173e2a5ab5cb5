//! `msg_seq` allocation for passive replies, remembered across processes.
//!
//! The platform rejects a reused `(msg_id, msg_seq)` pair with 40054005, so every reply to the same
//! message needs a new `msg_seq`. [`MsgSeqStore`] keeps, per `msg_id` (or `event_id`), the last
//! `msg_seq` handed out and how many replies were accepted, in a small JSON file:
//!
//! ```json
//! {"version":1,"entries":{"ROBOT1.0_x!":{"last_seq":2,"replies":2,"updated_ms":1767225600000}}}
//! ```
//!
//! The default file is `<cache dir>/qqbot/msg_seq.json` (`QQBOT_CACHE_DIR` overrides the
//! directory). Updates take a lock file (`msg_seq.json.lock`, created exclusively; a lock older than
//! [`STALE_LOCK`] is taken over) and are written to a temporary file renamed into place, so
//! concurrent `qqbot send` runs never hand out the same number and a crash never leaves a torn
//! file. Entries untouched for [`RETAIN`] are dropped (the longest reply window is 60 min).

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Entries untouched this long are dropped.
pub const RETAIN: Duration = Duration::from_secs(24 * 60 * 60);
/// A lock file older than this is considered abandoned and taken over.
pub const STALE_LOCK: Duration = Duration::from_secs(10);
/// How long [`MsgSeqStore::allocate`] waits for the lock before giving up.
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// The environment variable that overrides the cache directory.
pub const CACHE_DIR_VAR: &str = "QQBOT_CACHE_DIR";

/// What the store knows about one `msg_id` / `event_id`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqEntry {
    /// The last `msg_seq` handed out (0: none yet).
    pub last_seq: u32,
    /// Replies the platform accepted.
    pub replies: u32,
    /// When the entry last changed (ms since the Unix epoch).
    pub updated_ms: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StoreFile {
    version: u32,
    #[serde(default)]
    entries: BTreeMap<String, SeqEntry>,
}

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MsgSeqError {
    /// No cache directory could be determined.
    #[error("no cache directory (set {CACHE_DIR_VAR})")]
    NoCacheDir,
    /// Reading, writing or locking the file failed.
    #[error("msg_seq store {}: {what}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// The lock stayed taken for [`LOCK_WAIT`].
    #[error("msg_seq store {} is locked by another process", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
}

/// The `msg_seq` store (one JSON file).
#[derive(Debug, Clone)]
pub struct MsgSeqStore {
    path: PathBuf,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Holds the lock file; removes it when dropped.
struct LockGuard {
    path: PathBuf,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

impl MsgSeqStore {
    /// A store in this file.
    pub fn at(path: impl Into<PathBuf>) -> MsgSeqStore {
        MsgSeqStore { path: path.into() }
    }

    /// The default store: `$QQBOT_CACHE_DIR/msg_seq.json`, else the user cache dir's
    /// `qqbot/msg_seq.json`.
    pub fn default_location() -> Result<MsgSeqStore, MsgSeqError> {
        if let Some(dir) = std::env::var_os(CACHE_DIR_VAR).filter(|d| !d.is_empty()) {
            return Ok(MsgSeqStore::at(PathBuf::from(dir).join("msg_seq.json")));
        }
        directories::ProjectDirs::from("", "", "qqbot")
            .map(|dirs| MsgSeqStore::at(dirs.cache_dir().join("msg_seq.json")))
            .ok_or(MsgSeqError::NoCacheDir)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, what: &'static str) -> impl FnOnce(io::Error) -> MsgSeqError + '_ {
        move |source| MsgSeqError::Io {
            path: self.path.clone(),
            what,
            source,
        }
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    fn lock(&self) -> Result<LockGuard, MsgSeqError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(self.io("creating the directory"))?;
        }
        let lock = self.lock_path();
        let started = Instant::now();
        loop {
            match OpenOptions::new().write(true).create_new(true).open(&lock) {
                Ok(_) => return Ok(LockGuard { path: lock }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let stale = fs::metadata(&lock)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > STALE_LOCK);
                    if stale {
                        let _ = fs::remove_file(&lock);
                        continue;
                    }
                    if started.elapsed() > LOCK_WAIT {
                        return Err(MsgSeqError::Locked { path: lock });
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(self.io("taking the lock")(e)),
            }
        }
    }

    fn read(&self) -> Result<StoreFile, MsgSeqError> {
        match fs::read_to_string(&self.path) {
            // A damaged file is replaced rather than blocking every send.
            Ok(text) => Ok(serde_json::from_str(&text).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(StoreFile::default()),
            Err(e) => Err(self.io("reading")(e)),
        }
    }

    fn write(&self, file: &StoreFile) -> Result<(), MsgSeqError> {
        let text = serde_json::to_string(file).expect("the store serialises");
        let mut tmp = self.path.as_os_str().to_owned();
        tmp.push(format!(".{}.tmp", std::process::id()));
        let tmp = PathBuf::from(tmp);
        fs::write(&tmp, text)
            .and_then(|()| fs::rename(&tmp, &self.path))
            .map_err(self.io("writing"))
    }

    /// Read-modify-write under the lock.
    fn update<T>(&self, f: impl FnOnce(&mut StoreFile) -> T) -> Result<T, MsgSeqError> {
        let _guard = self.lock()?;
        let mut file = self.read()?;
        file.version = 1;
        let now = now_ms();
        let retain = RETAIN.as_millis() as u64;
        file.entries
            .retain(|_, e| now.saturating_sub(e.updated_ms) < retain);
        let out = f(&mut file);
        self.write(&file)?;
        Ok(out)
    }

    /// What the store knows about `id` (without locking; a snapshot).
    pub fn get(&self, id: &str) -> Result<Option<SeqEntry>, MsgSeqError> {
        Ok(self.read()?.entries.get(id).copied())
    }

    /// Hand out the next `msg_seq` for `id` (1 for a message never replied to from here).
    pub fn allocate(&self, id: &str) -> Result<u32, MsgSeqError> {
        self.update(|file| {
            let entry = file.entries.entry(id.to_owned()).or_default();
            entry.last_seq = entry.last_seq.saturating_add(1);
            entry.updated_ms = now_ms();
            entry.last_seq
        })
    }

    /// Count an accepted reply to `id`.
    pub fn record_reply(&self, id: &str) -> Result<u32, MsgSeqError> {
        self.update(|file| {
            let entry = file.entries.entry(id.to_owned()).or_default();
            entry.replies = entry.replies.saturating_add(1);
            entry.updated_ms = now_ms();
            entry.replies
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_increasing_numbers_per_id_across_instances() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("msg_seq.json");
        let a = MsgSeqStore::at(&path);
        assert_eq!(a.allocate("m1").unwrap(), 1);
        assert_eq!(a.allocate("m1").unwrap(), 2);
        assert_eq!(a.allocate("m2").unwrap(), 1);
        let b = MsgSeqStore::at(&path);
        assert_eq!(b.allocate("m1").unwrap(), 3);
        assert_eq!(b.record_reply("m1").unwrap(), 1);
        let entry = a.get("m1").unwrap().unwrap();
        assert_eq!((entry.last_seq, entry.replies), (3, 1));
        assert!(!a.lock_path().exists(), "the lock is released");
    }

    #[test]
    fn concurrent_allocations_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("msg_seq.json");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let store = MsgSeqStore::at(&path);
                std::thread::spawn(move || {
                    (0..5)
                        .map(|_| store.allocate("m").unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<u32> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (1..=20).collect::<Vec<_>>());
    }

    #[test]
    fn a_damaged_file_starts_over_and_a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("msg_seq.json");
        fs::write(&path, "{not json").unwrap();
        let store = MsgSeqStore::at(&path);
        // A lock file from a crashed process, backdated past STALE_LOCK.
        let lock = store.lock_path();
        let file = fs::File::create(&lock).unwrap();
        file.set_modified(SystemTime::now() - STALE_LOCK * 2)
            .unwrap();
        drop(file);
        assert_eq!(store.allocate("m").unwrap(), 1);
    }
}
