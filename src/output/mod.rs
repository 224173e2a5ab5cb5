//! Sinks shared by `listen`, `replay` and the TUI: NDJSON lines, human lines, and statistics.

pub mod human;
pub mod ndjson;
pub mod stats;

pub use stats::Stats;
