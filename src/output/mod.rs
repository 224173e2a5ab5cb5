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
