//! HTTP pieces the gateway needs: the access-token source and `GET /gateway/bot`.

pub mod gateway_info;
pub mod token;

pub use gateway_info::{GatewayBot, GatewayInfoError, SessionStartLimit, get_gateway_bot};
pub use token::{TokenError, TokenSource};
