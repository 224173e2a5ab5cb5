//! `qqbot tui`: the live dashboard (ratatui).
//!
//! Three layers, each testable on its own:
//!
//! - [`App`] ([`app`]): plain data with [`App::apply`] (one [`GatewayItem`](crate::gateway::GatewayItem)
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

pub mod app;
pub mod term;
pub mod ui;

pub use app::{Action, App, Diagnostics, Focus, Header, ShardState};
pub use term::{DEFAULT_FPS, log_file, log_path, run};
pub use ui::draw;
