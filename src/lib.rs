//! qqbot: a gateway client for the QQ Bot open platform, and the pieces of the `qqbot` CLI.
//!
//! - [`protocol`]: pure wire types and tables (opcodes, envelope peek, intents, close codes).
//! - [`client`]: the bot-author facade, `Client` + `EventHandler`.
//! - [`http`]: the OpenAPI client (send messages, upload media, acknowledge interactions).
//! - [`models`]: typed, lenient event models parsed on demand from raw dispatches.
//! - [`emulator`]: a faithful local emulator of the QQ platform (token endpoint, OpenAPI, gateway).
//! - [`webhook`]: webhook mode: Ed25519 signing, the callback receiver and the forwarder.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod config;
pub mod emulator;
pub mod gateway;
pub mod http;
mod jsonscan;
pub mod models;
pub mod output;
pub mod protocol;
pub mod record;
pub mod secret;
pub mod tui;
pub mod webhook;

pub use secret::Secret;
