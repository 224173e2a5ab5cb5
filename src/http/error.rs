//! OpenAPI errors: what failed (a kind), the platform's own words (status, `code`, `err_code`,
//! `message`, trace id) and a hint from [`crate::protocol::api_errors`].

use std::fmt;
use std::time::Duration;

use crate::protocol::api_errors::{ApiErrorInfo, ErrorGroup, api_error_group, api_error_info};

/// A boxed error from a lower layer (token source, transport).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// No access token could be obtained (the token source failed).
    Token,
    /// The request did not complete (connect, timeout, broken body).
    Transport,
    /// The platform answered, but not with the JSON this call expects.
    Decode,
    /// The credentials were refused (HTTP 401, or a 1124x / 11298 code), after one refresh.
    Unauthorized,
    /// HTTP 429 or a rate-limit / quota code: see [`ApiError::retry_after`] and [`ApiError::hint`].
    RateLimited,
    /// The platform refused the request (a 4xx, or an error body on a 2xx).
    Rejected,
    /// The platform failed (5xx).
    Server,
}

/// A failed OpenAPI call. `Display` is one line with the endpoint, the status, the codes, the
/// platform's message and the trace id; it never contains a token.
///
/// Boxed inside, so `Result<_, ApiError>` stays one pointer wide.
#[derive(Debug)]
pub struct ApiError(Box<Repr>);

#[derive(Debug)]
struct Repr {
    kind: ApiErrorKind,
    endpoint: String,
    status: Option<u16>,
    code: Option<u64>,
    err_code: Option<u64>,
    message: Option<String>,
    trace_id: Option<String>,
    retry_after: Option<Duration>,
    source: Option<BoxError>,
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// What the platform said about a failed call (the parts of an error body plus headers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PlatformDetails {
    pub status: u16,
    pub code: Option<u64>,
    pub err_code: Option<u64>,
    pub message: Option<String>,
    pub trace_id: Option<String>,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// The token source failed.
    pub(crate) fn token(endpoint: String, source: BoxError) -> ApiError {
        ApiError::bare(ApiErrorKind::Token, endpoint, Some(source))
    }

    /// The request did not complete.
    pub(crate) fn transport(endpoint: String, source: reqwest::Error) -> ApiError {
        ApiError::bare(ApiErrorKind::Transport, endpoint, Some(Box::new(source)))
    }

    /// The body was not what the call expects.
    pub(crate) fn decode(
        endpoint: String,
        status: u16,
        trace_id: Option<String>,
        source: BoxError,
    ) -> ApiError {
        let mut error = ApiError::bare(ApiErrorKind::Decode, endpoint, Some(source));
        error.0.status = Some(status);
        error.0.trace_id = trace_id;
        error
    }

    /// The platform refused or failed the call.
    pub(crate) fn platform(endpoint: String, details: PlatformDetails) -> ApiError {
        let codes = [details.code, details.err_code];
        let has = |groups: &[ErrorGroup]| {
            codes
                .iter()
                .flatten()
                .any(|c| api_error_group(*c).is_some_and(|g| groups.contains(&g)))
        };
        let kind = if details.status == 429 || has(&[ErrorGroup::RateLimit, ErrorGroup::Quota]) {
            ApiErrorKind::RateLimited
        } else if details.status == 401 || has(&[ErrorGroup::Auth]) {
            ApiErrorKind::Unauthorized
        } else if details.status >= 500 {
            ApiErrorKind::Server
        } else {
            ApiErrorKind::Rejected
        };
        let retry_after = match kind {
            ApiErrorKind::RateLimited if has(&[ErrorGroup::Quota]) && details.status != 429 => {
                details.retry_after
            }
            ApiErrorKind::RateLimited => {
                Some(details.retry_after.unwrap_or(Duration::from_secs(1)))
            }
            _ => None,
        };
        ApiError(Box::new(Repr {
            kind,
            endpoint,
            status: Some(details.status),
            code: details.code,
            err_code: details.err_code,
            message: details.message,
            trace_id: details.trace_id,
            retry_after,
            source: None,
        }))
    }

    fn bare(kind: ApiErrorKind, endpoint: String, source: Option<BoxError>) -> ApiError {
        ApiError(Box::new(Repr {
            kind,
            endpoint,
            status: None,
            code: None,
            err_code: None,
            message: None,
            trace_id: None,
            retry_after: None,
            source,
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> ApiErrorKind {
        self.0.kind
    }

    /// `METHOD /path` of the call.
    pub fn endpoint(&self) -> &str {
        &self.0.endpoint
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The body's `code`.
    pub fn code(&self) -> Option<u64> {
        self.0.code
    }

    /// The body's `err_code` (can differ from `code`, e.g. 11298 / 40023002).
    pub fn err_code(&self) -> Option<u64> {
        self.0.err_code
    }

    /// The body's `message`.
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// The platform trace id: the `X-Tps-trace-ID` header, else the body's `trace_id`.
    /// Quote it when asking the platform for help.
    pub fn trace_id(&self) -> Option<&str> {
        self.0.trace_id.as_deref()
    }

    /// The same error without a retry-after wait, for a caller that knows waiting cannot help
    /// (22009 on the sixth passive reply to one message: that message's replies are used up).
    pub fn without_retry_after(mut self) -> ApiError {
        self.0.retry_after = None;
        self
    }

    /// For [`ApiErrorKind::RateLimited`]: how long to wait before retrying (the `Retry-After`
    /// header when sent, else 1 s). `None` for daily/monthly quota codes, where waiting seconds
    /// does not help (see [`ApiError::hint`]).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// Whether this is a rate limit or quota error.
    pub fn is_rate_limited(&self) -> bool {
        self.0.kind == ApiErrorKind::RateLimited
    }

    /// The known meaning and hint for `code` (or else `err_code`).
    pub fn info(&self) -> Option<&'static ApiErrorInfo> {
        self.0
            .code
            .and_then(api_error_info)
            .or_else(|| self.0.err_code.and_then(api_error_info))
    }

    /// What to do about it, from the error-code table (or a generic hint for 429).
    pub fn hint(&self) -> Option<&'static str> {
        self.info().map(|info| info.hint).or(match self.0.status {
            Some(429) => Some("slow down and retry after the suggested wait"),
            Some(401) => Some("check the app id and secret; the token was refreshed once already"),
            _ => None,
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.0.endpoint)?;
        match self.0.kind {
            ApiErrorKind::Token => f.write_str("could not get an access token")?,
            ApiErrorKind::Transport => f.write_str("request failed")?,
            ApiErrorKind::Decode => f.write_str("unexpected response body")?,
            _ => f.write_str(match self.0.kind {
                ApiErrorKind::RateLimited => "rate limited",
                ApiErrorKind::Unauthorized => "unauthorized",
                ApiErrorKind::Server => "platform error",
                _ => "refused",
            })?,
        }
        let mut parts: Vec<String> = Vec::new();
        if let Some(status) = self.0.status {
            parts.push(format!("HTTP {status}"));
        }
        match (self.0.code, self.0.err_code) {
            (Some(code), Some(err)) if code != err => {
                parts.push(format!("code {code}, err_code {err}"))
            }
            (Some(code), _) | (None, Some(code)) => parts.push(format!("code {code}")),
            (None, None) => {}
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        if let Some(message) = self.0.message.as_deref().filter(|m| !m.is_empty()) {
            // One line, whatever the platform sent.
            let message: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
            write!(f, ": {message}")?;
        }
        if let Some(wait) = self.0.retry_after {
            write!(f, "; retry after {}s", wait.as_secs_f64())?;
        }
        if let Some(trace) = &self.0.trace_id {
            write!(f, " [trace {trace}]")?;
        }
        Ok(())
    }
}
