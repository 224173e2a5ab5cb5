//! qqbot: a gateway client for the QQ Bot open platform, and the pieces of the `qqbot` CLI.
//!
//! A bot needs only the always-built modules: `qqbot = { version = "0.1", default-features = false }`.
//! The rest are Cargo features, all on by default (the `cli` feature builds the `qqbot` binary
//! and turns on every other one); see the README's "Cargo features" table for what each pulls in.
//!
//! | module | what | feature |
//! |---|---|---|
//! | [`client`] | the bot-author facade, `Client` + `EventHandler` | always |
//! | [`gateway`] | the gateway client: sans-IO shard core, driver with backpressure, cluster | always |
//! | [`http`] | the OpenAPI client (send messages, upload media, acknowledge interactions) | always |
//! | [`models`] | typed, lenient event models parsed on demand from raw dispatches | always |
//! | [`protocol`] | pure wire types and tables (opcodes, envelope peek, intents, close codes) | always |
//! | [`endpoints`] | the platform's addresses (OpenAPI bases, token endpoint) and [`endpoints::Environment`] | always |
//! | [`config`] | profiles and settings (defaults < file < environment < flags) | always |
//! | [`secret`] | [`Secret`], a string that never shows in `Debug`, `Display` or logs | always |
//! | [`output`] | NDJSON and human lines, filters, dedup and run statistics | always |
//! | `output::prometheus` | the `/metrics` exporter | `metrics` |
//! | `record` | the recording format: writer with redaction, reader, replay pacing | `record` |
//! | `emulator` | a faithful local emulator of the QQ platform (token endpoint, OpenAPI, gateway) | `emulator` |
//! | `webhook` | webhook mode: Ed25519 signing, the callback receiver and the forwarder | `webhook` |
//! | `tui` | the dashboard's pure reducer and drawing, and its terminal loop | `tui` |
//! | `nats` | events into NATS JetStream and back (`--publish`, `--from`, `NatsSource`) | `nats` |
//! | `cluster` | shards across processes: leases, fleet-wide identify spacing, take-over (NATS) | `nats` (its status rows and lease names also with `tui`) |
//!
//! The feature-gated modules are named without links, so the documentation builds with any set
//! of features; docs.rs builds with all of them.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
#[cfg(any(feature = "nats", feature = "tui"))]
#[cfg_attr(docsrs, doc(cfg(feature = "nats")))]
pub mod cluster;
pub mod config;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
pub mod endpoints;
pub mod gateway;
pub mod http;
mod jsonscan;
pub mod models;
#[cfg(feature = "nats")]
#[cfg_attr(docsrs, doc(cfg(feature = "nats")))]
pub mod nats;
pub mod output;
pub mod protocol;
#[cfg(feature = "record")]
#[cfg_attr(docsrs, doc(cfg(feature = "record")))]
pub mod record;
pub mod secret;
#[cfg(feature = "tui")]
#[cfg_attr(docsrs, doc(cfg(feature = "tui")))]
pub mod tui;
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub mod webhook;

pub use secret::Secret;
