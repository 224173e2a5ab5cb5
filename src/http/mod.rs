//! OpenAPI over HTTP: the access-token source, `GET /gateway/bot` for the gateway, and the client
//! bots use to send ([`api::Api`]) with its errors ([`error::ApiError`]).

pub mod api;
pub mod error;
pub mod gateway_info;
pub mod msg_seq;
pub mod token;

pub use api::{Api, Environment, SendOutcome, StaticToken, TokenProvider};
pub use error::{ApiError, ApiErrorKind};
pub use gateway_info::{GatewayBot, GatewayInfoError, SessionStartLimit, get_gateway_bot};
pub use token::{TokenError, TokenSource};

/// The HTTP client crate [`TokenSource::new`] and [`Api::with_http_client`] take a client of
/// (re-exported, so a bot needs no direct dependency at a matching version).
pub use reqwest;
