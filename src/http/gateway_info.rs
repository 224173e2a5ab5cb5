//! `GET /gateway/bot`: the gateway URL, recommended shards and the session-start budget.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// `session_start_limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStartLimit {
    /// Sessions allowed per 24 h.
    pub total: u32,
    /// Sessions still available.
    pub remaining: u32,
    /// Milliseconds until the count resets.
    pub reset_after: u64,
    /// Sessions that may start per 5 s.
    pub max_concurrency: u32,
}

/// The `/gateway/bot` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayBot {
    /// The WebSocket URL.
    pub url: String,
    /// Recommended shard count.
    pub shards: u32,
    /// Session-start budget.
    pub session_start_limit: SessionStartLimit,
}

/// Why `/gateway/bot` failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayInfoError {
    /// Could not reach the API.
    #[error("could not reach GET /gateway/bot")]
    Unreachable(#[source] reqwest::Error),
    /// The token was refused (HTTP 401 or an auth error code).
    #[error(
        "GET /gateway/bot refused the access token (HTTP {status}{})",
        code.map(|c| format!(", code {c}")).unwrap_or_default()
    )]
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// Platform error code, if any.
        code: Option<i64>,
    },
    /// Another HTTP error.
    #[error("GET /gateway/bot answered HTTP {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Platform message, if any.
        message: String,
    },
    /// Unexpected body.
    #[error("malformed /gateway/bot response")]
    Malformed(#[source] serde_json::Error),
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// Call `GET {api_base}/gateway/bot` with `Authorization: QQBot <token>` and `X-Union-Appid`.
pub async fn get_gateway_bot(
    client: &reqwest::Client,
    api_base: &str,
    app_id: &str,
    token: &Secret,
) -> Result<GatewayBot, GatewayInfoError> {
    let url = format!("{}/gateway/bot", api_base.trim_end_matches('/'));
    let response = client
        .get(url)
        .header("Authorization", format!("QQBot {}", token.expose()))
        .header("X-Union-Appid", app_id)
        .send()
        .await
        .map_err(|e| GatewayInfoError::Unreachable(e.without_url()))?;
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| GatewayInfoError::Unreachable(e.without_url()))?;
    let api_error = serde_json::from_slice::<ApiError>(&bytes).ok();
    let code = api_error.as_ref().and_then(|e| e.code).filter(|c| *c != 0);
    if status == 401 || matches!(code, Some(11241..=11244)) {
        return Err(GatewayInfoError::Unauthorized { status, code });
    }
    if !(200..300).contains(&status) || code.is_some() {
        let message = api_error.and_then(|e| e.message).unwrap_or_default();
        return Err(GatewayInfoError::Status { status, message });
    }
    serde_json::from_slice(&bytes).map_err(GatewayInfoError::Malformed)
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn unauthorized_shows_the_code_without_rust_debug() {
        let with = GatewayInfoError::Unauthorized {
            status: 401,
            code: Some(11244),
        };
        assert_eq!(
            with.to_string(),
            "GET /gateway/bot refused the access token (HTTP 401, code 11244)"
        );
        let without = GatewayInfoError::Unauthorized {
            status: 401,
            code: None,
        };
        assert_eq!(
            without.to_string(),
            "GET /gateway/bot refused the access token (HTTP 401)"
        );
    }
}
