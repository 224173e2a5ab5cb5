//! qqbot: a gateway client for the QQ Bot open platform, and the pieces of the `qqbot` CLI.
//!
//! - [`protocol`]: pure wire types and tables (opcodes, envelope peek, intents, close codes).
//! - [`gateway`]: the gateway client: sans-IO shard core, driver with backpressure, cluster.
//! - [`client`]: the bot-author facade, `Client` + `EventHandler`.
//! - [`cluster`]: shards across processes: leases, fleet-wide identify spacing, take-over (NATS).
//! - [`http`]: the OpenAPI client (send messages, upload media, acknowledge interactions).
//! - [`models`]: typed, lenient event models parsed on demand from raw dispatches.
//! - [`endpoints`]: the platform's addresses (OpenAPI bases, token endpoint) and [`endpoints::Environment`].
//! - [`config`]: profiles and settings (defaults < file < environment < flags).
//! - [`secret`]: [`Secret`], a string that never shows in `Debug`, `Display` or logs.
//! - [`output`]: NDJSON and human lines, filters, dedup and run statistics.
//! - [`record`]: the recording format: writer with redaction, reader, replay pacing.
//! - [`emulator`]: a faithful local emulator of the QQ platform (token endpoint, OpenAPI, gateway).
//! - [`webhook`]: webhook mode: Ed25519 signing, the callback receiver and the forwarder.
//! - [`tui`]: the dashboard's pure reducer and drawing (used by `qqbot tui`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod cluster;
pub mod config;
pub mod emulator;
pub mod endpoints;
pub mod gateway;
pub mod http;
mod jsonscan;
pub mod models;
pub mod nats;
pub mod output;
pub mod protocol;
pub mod record;
pub mod secret;
pub mod tui;
pub mod webhook;

pub use secret::Secret;
