//! Access tokens: app id + secret → `QQBot <token>`, cached and refreshed single-flight.
//!
//! One fetch serves every concurrent caller; the cached token is reused until its last 60 s,
//! then replaced. Errors the endpoint returns as HTTP 200 `{code, message}` are errors too.

use std::sync::Mutex as StdMutex;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::protocol::api_errors::api_error_info;
use crate::secret::Secret;

/// Refresh a token this long before it expires (the platform mints a new one in this window).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Transport-level retries per fetch.
const RETRIES: u32 = 3;

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The endpoint could not be reached (after retries).
    #[error("could not reach the token endpoint")]
    Unreachable(#[source] reqwest::Error),
    /// The endpoint answered with an HTTP error status.
    #[error("token endpoint answered HTTP {status}")]
    Status {
        /// HTTP status.
        status: u16,
    },
    /// The endpoint refused the credentials (`{code, message}`).
    #[error("token request rejected: {meaning} (code {code})")]
    Rejected {
        /// The platform's error code.
        code: i64,
        /// Plain-language meaning (from the known-codes table, else the platform's message).
        meaning: String,
        /// What to do.
        hint: Option<&'static str>,
    },
    /// The response was not the documented shape.
    #[error("malformed token response")]
    Malformed(#[source] serde_json::Error),
}

impl TokenError {
    /// Whether the credentials themselves are wrong (retrying cannot help).
    pub fn is_auth(&self) -> bool {
        matches!(self, TokenError::Rejected { .. })
            || matches!(self, TokenError::Status { status: 401 | 403 })
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// The longest token lifetime believed: a year (the platform gives 7200 s).
const MAX_EXPIRES_IN: u64 = 365 * 24 * 3600;

/// `expires_in` as a JSON string (documented example) or number (documented type), in seconds,
/// or what is wrong with it.
fn expires_in_seconds(value: Option<&serde_json::Value>) -> Result<u64, String> {
    let shown = |v: &serde_json::Value| crate::output::human::snippet(&v.to_string(), 40);
    let number = match value {
        None | Some(serde_json::Value::Null) => return Err("missing expires_in".to_owned()),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) => s.trim().to_owned(),
        Some(other) => {
            return Err(format!(
                "expires_in {} is not a number of seconds",
                shown(other)
            ));
        }
    };
    let v = value.expect("matched above");
    if let Ok(n) = number.parse::<i128>() {
        return match u64::try_from(n) {
            Err(_) if n < 0 => Err(format!("expires_in {} is negative", shown(v))),
            Ok(n) if n <= MAX_EXPIRES_IN => Ok(n),
            _ => Err(format!(
                "expires_in {} is out of range (at most {MAX_EXPIRES_IN} s)",
                shown(v)
            )),
        };
    }
    match number.parse::<f64>() {
        Ok(f) if f < 0.0 => Err(format!("expires_in {} is negative", shown(v))),
        Ok(f) if f.is_finite() && f.fract() != 0.0 && f <= MAX_EXPIRES_IN as f64 => Err(format!(
            "expires_in {} is not a whole number of seconds",
            shown(v)
        )),
        Ok(_) => Err(format!(
            "expires_in {} is out of range (at most {MAX_EXPIRES_IN} s)",
            shown(v)
        )),
        Err(_) => Err(format!(
            "expires_in {} is not a number of seconds",
            shown(v)
        )),
    }
}

#[derive(Clone)]
struct Cached {
    token: Secret,
    expires_at: Instant,
}

/// A shareable token source (wrap it in an `Arc`).
pub struct TokenSource {
    client: reqwest::Client,
    url: String,
    app_id: String,
    secret: Secret,
    /// Held across the fetch: concurrent callers wait here and then find the fresh token.
    slot: Mutex<Option<Cached>>,
    /// Expiry mirror readable without awaiting (dashboards).
    expiry: StdMutex<Option<Instant>>,
    fetches: StdMutex<u64>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("url", &self.url)
            .field("app_id", &self.app_id)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// A source for `app_id`/`secret` fetching from `token_url`.
    pub fn new(
        client: reqwest::Client,
        token_url: impl Into<String>,
        app_id: impl Into<String>,
        secret: Secret,
    ) -> TokenSource {
        TokenSource {
            client,
            url: token_url.into(),
            app_id: app_id.into(),
            secret,
            slot: Mutex::new(None),
            expiry: StdMutex::new(None),
            fetches: StdMutex::new(0),
        }
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// A valid access token (bare, without the `QQBot ` prefix), fetching one if needed.
    pub async fn token(&self) -> Result<Secret, TokenError> {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref()
            && Instant::now() + REFRESH_MARGIN < cached.expires_at
        {
            return Ok(cached.token.clone());
        }
        let fresh = self.fetch().await?;
        *self.expiry.lock().expect("expiry lock") = Some(fresh.expires_at);
        let token = fresh.token.clone();
        *slot = Some(fresh);
        Ok(token)
    }

    /// Forget the cached token so the next [`token`](Self::token) fetches (close 4004, HTTP 401, code 11244).
    pub async fn invalidate(&self) {
        *self.slot.lock().await = None;
        *self.expiry.lock().expect("expiry lock") = None;
    }

    /// Invalidate, then fetch.
    pub async fn refresh(&self) -> Result<Secret, TokenError> {
        self.invalidate().await;
        self.token().await
    }

    /// Time left on the cached token (`None` when none is cached).
    pub fn time_to_live(&self) -> Option<Duration> {
        let expiry = (*self.expiry.lock().expect("expiry lock"))?;
        Some(expiry.saturating_duration_since(Instant::now()))
    }

    /// How many fetches reached the endpoint (for tests and diagnostics).
    pub fn fetch_count(&self) -> u64 {
        *self.fetches.lock().expect("fetch lock")
    }

    async fn fetch(&self) -> Result<Cached, TokenError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            *self.fetches.lock().expect("fetch lock") += 1;
            match self.fetch_once().await {
                Err(TokenError::Unreachable(e)) if attempt < RETRIES => {
                    tracing::debug!(error = %e, attempt, "token endpoint unreachable; retrying");
                    let base = 250u64 << attempt;
                    let jitter = (rand::random::<f64>() * base as f64) as u64;
                    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
                }
                result => return result,
            }
        }
    }

    async fn fetch_once(&self) -> Result<Cached, TokenError> {
        let body =
            serde_json::json!({ "appId": self.app_id, "clientSecret": self.secret.expose() });
        let response = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| TokenError::Unreachable(e.without_url()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| TokenError::Unreachable(e.without_url()))?;
        let parsed: Result<TokenResponse, _> = serde_json::from_slice(&bytes);
        if let Ok(TokenResponse {
            code: Some(code),
            message,
            ..
        }) = &parsed
            && *code != 0
        {
            return Err(rejected(*code, message.as_deref()));
        }
        if !status.is_success() {
            return Err(TokenError::Status {
                status: status.as_u16(),
            });
        }
        let parsed = parsed.map_err(TokenError::Malformed)?;
        let malformed = |why: String| TokenError::Malformed(serde::de::Error::custom(why));
        let Some(token) = parsed.access_token else {
            return Err(malformed("missing access_token".to_owned()));
        };
        let seconds = expires_in_seconds(parsed.expires_in.as_ref()).map_err(malformed)?;
        Ok(Cached {
            token: Secret::new(token),
            expires_at: Instant::now() + Duration::from_secs(seconds),
        })
    }
}

fn rejected(code: i64, message: Option<&str>) -> TokenError {
    let info = u64::try_from(code).ok().and_then(api_error_info);
    let meaning = match (info, message) {
        (Some(info), _) => info.meaning.to_owned(),
        (None, Some(message)) => message.to_owned(),
        (None, None) => "no message".to_owned(),
    };
    TokenError::Rejected {
        code,
        meaning,
        hint: info.map(|i| i.hint),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_in_string_or_number() {
        for body in [
            r#"{"access_token":"t","expires_in":"7200"}"#,
            r#"{"access_token":"t","expires_in":7200}"#,
        ] {
            let r: TokenResponse = serde_json::from_str(body).unwrap();
            assert_eq!(expires_in_seconds(r.expires_in.as_ref()), Ok(7200));
        }
    }

    #[test]
    fn unusable_expires_in_says_what_is_wrong() {
        let why = |json: &str| {
            let r: TokenResponse = serde_json::from_str(json).expect("any expires_in parses");
            expires_in_seconds(r.expires_in.as_ref()).unwrap_err()
        };
        assert_eq!(why(r#"{"expires_in":-5}"#), "expires_in -5 is negative");
        assert_eq!(
            why(r#"{"expires_in":"-5"}"#),
            r#"expires_in "-5" is negative"#
        );
        assert_eq!(
            why(r#"{"expires_in":184467440737095516150}"#),
            "expires_in 1.844674407370955e+20 is out of range (at most 31536000 s)"
        );
        assert_eq!(
            why(r#"{"expires_in":1e300}"#),
            "expires_in 1e+300 is out of range (at most 31536000 s)"
        );
        assert_eq!(
            why(r#"{"expires_in":18446744073709551615}"#),
            "expires_in 18446744073709551615 is out of range (at most 31536000 s)"
        );
        assert_eq!(
            why(r#"{"expires_in":7.5}"#),
            "expires_in 7.5 is not a whole number of seconds"
        );
        assert_eq!(
            why(r#"{"expires_in":"soon"}"#),
            r#"expires_in "soon" is not a number of seconds"#
        );
        assert_eq!(
            why(r#"{"expires_in":[1]}"#),
            "expires_in [1] is not a number of seconds"
        );
        assert_eq!(why(r#"{"access_token":"t"}"#), "missing expires_in");
    }

    #[test]
    fn known_rejections_read_clearly_and_never_show_the_secret() {
        let e = rejected(100016, Some("invalid appsecret"));
        assert_eq!(
            e.to_string(),
            "token request rejected: invalid app secret (code 100016)"
        );
        assert!(e.is_auth());
        let e = rejected(100007, None);
        assert!(e.to_string().contains("appid invalid"));
        let e = rejected(42, Some("weird"));
        assert_eq!(e.to_string(), "token request rejected: weird (code 42)");
    }

    #[test]
    fn debug_redacts_the_secret() {
        let source = TokenSource::new(
            reqwest::Client::new(),
            "http://127.0.0.1:1/t",
            "app",
            Secret::new("hunter2"),
        );
        assert!(!format!("{source:?}").contains("hunter2"));
    }
}
