//! OpenAPI over HTTP: the client ([`api::Api`]) and its errors ([`error::ApiError`]).

pub mod api;
pub mod error;

pub use api::{Api, SendOutcome, StaticToken, TokenProvider};
pub use error::{ApiError, ApiErrorKind};
