//! OpenAPI over HTTP: the access-token source ([`token`]), the client bots use to send and that
//! reads `GET /gateway/bot` for the gateway ([`api::Api`]), its request and response bodies
//! ([`types`]), sending for every scene with `msg_seq` retries ([`reply`]) and its errors
//! ([`error::ApiError`]).

pub mod api;
pub mod error;
pub mod msg_seq;
pub mod reply;
pub mod token;
pub mod types;

pub use api::{Api, Environment, SendOutcome, StaticToken, TokenProvider};
pub use error::{ApiError, ApiErrorKind};
pub use token::{TokenError, TokenSource};
pub use types::{GatewayBot, SessionStartLimit};

/// The HTTP client crate [`TokenSource::new`] and [`Api::with_http_client`] take a client of
/// (re-exported, so a bot needs no direct dependency at a matching version).
pub use reqwest;
