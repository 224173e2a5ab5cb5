//! Sinks shared by `listen`, `replay` and the TUI: NDJSON lines, human lines, filters, dedup and
//! statistics.

pub mod dedup;
pub mod fields;
pub mod filter;
pub mod human;
pub(crate) mod json_fields;
pub mod ndjson;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod prometheus;
pub mod stats;

pub use dedup::Dedup;
pub use filter::Filter;
pub use stats::Stats;

/// Worker threads for the async runtime of a program whose items are written out by a thread of
/// its own (`qqbot listen` and `qqbot record` drain their items on a blocking thread): one fewer
/// than the machine's cores, and at least one. Under a flood that thread is busy as long as the
/// shard is; with a worker per core the two contended for the cores and the shard's task moved
/// between workers, and on a 2-core machine the gateway benchmark measured 8–10 points more of
/// the bare reader's rate with one worker (2026-12-04).
pub fn runtime_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .saturating_sub(1)
        .max(1)
}
