//! `qqbot tui`: the live dashboard (ratatui).
//!
//! Three layers, each testable on its own:
//!
//! - [`App`] ([`app`], the per-shard and fleet views in [`shard`]): plain data with [`App::apply`] (one [`GatewayItem`](crate::gateway::GatewayItem)
//!   at a given `now`), [`App::tick`] and [`App::on_key`]. No I/O, never reads the clock.
//! - [`draw`] ([`ui`]): lays out widgets from an `&App` into a ratatui `Frame`. Pure, so it is
//!   snapshot-tested with `TestBackend` at fixed sizes and a fixed `now`.
//! - [`run`] ([`term`]): the terminal loop — a `select!` over a render tick, the crossterm event
//!   stream and the item channel (drained in batches), inside an RAII guard plus panic hook that
//!   always restore the terminal.
//!
//! While the alternate screen is up nothing may write to stdout or stderr: point the tracing
//! subscriber at [`log_file`] first.
//!
//! This module is the only place in the library that knows about ratatui or crossterm.
//!
//! # Wiring `qqbot tui`
//!
//! The CLI builds the item source exactly as `listen` does and hands the receiver over:
//!
//! - **live / `--emulator`**: `Cluster::start_items(config)` gives `(cluster, items)`. Send
//!   [`Diagnostics::from_gateway`]`(cluster.gateway(), cluster.token_ttl(), Utc::now())` through a
//!   `tokio::sync::watch` channel (refresh it every ~30 s for the token TTL), then
//!   `run(items, header, Some(diag_rx), fps).await`, then `cluster.shutdown().await`.
//! - **`--replay FILE`**: a task reads records (`RecordReader`, `record::replay::to_item`), paces
//!   them (`Pacer`) and sends the items into an `mpsc::channel`; pass `None` for diagnostics.
//!   Closing the sender shows "source ended" while the dashboard stays up.
//!
//! Around it: refuse early when stdout is not a TTY ([`run`] also refuses, untouched terminal),
//! point tracing at [`log_file`] before calling [`run`], and after it returns print
//! `stats.summary(elapsed)` just as `listen` does. `q` and Ctrl-C both return `Ok(stats)`
//! (raw mode turns Ctrl-C into a key, so no SIGINT arrives while the dashboard is up);
//! [`run_dashboard`] also says which (`Ended::interrupted`), so `qqbot tui` exits 130 on Ctrl-C.
//! `examples/tui_demo.rs` does all of this (`--emulator [SCENARIO]`, or a synthetic feed).

pub mod app;
pub mod shard;
pub mod term;
pub mod ui;

pub use app::{
    App, Diagnostics, FleetRead, FleetView, Focus, Header, KeyAction, LastClose, state_label,
};
pub use term::{
    DEFAULT_FPS, Ended, Feeds, log_file, log_path, on_screen, run, run_dashboard,
    run_dashboard_with,
};
pub use ui::draw;
