//! qqbot: a gateway client for the QQ Bot open platform, and the pieces of the `qqbot` CLI.
//!
//! - [`protocol`]: pure wire types and tables (opcodes, envelope peek, intents, close codes).
//! - [`emulator`]: a faithful local emulator of the QQ platform (token endpoint, OpenAPI, gateway).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod gateway;
pub mod output;
pub mod protocol;
pub mod secret;
pub mod tui;

pub use secret::Secret;
