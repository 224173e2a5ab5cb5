//! Sending webhooks as QQ does: signed POSTs with the platform's headers, retried with backoff.
//! Shared by the forwarder and the emulator's webhook sender.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use super::payload::{
    HEADER_APP_ID, HEADER_METHOD, HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_TRACE,
    USER_AGENT as QQ_USER_AGENT,
};
use super::sign::WebhookKey;

/// Bounded exponential backoff for non-2xx answers and transport errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// Delay after the first failure; doubled after each further one.
    pub initial: Duration,
    /// Upper bound on one delay.
    pub max: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, 250 ms then doubling, at most 4 s between attempts.
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial: Duration::from_millis(250),
            max: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// The wait after `failed` failed attempts (1-based).
    pub fn delay(&self, failed: u32) -> Duration {
        let factor = 1u32 << failed.saturating_sub(1).min(16);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// One HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// Time from sending to the answer (or the error).
    pub latency: Duration,
    /// The transport error, when no answer arrived.
    pub error: Option<String>,
}

impl Attempt {
    /// Whether the handler answered 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Signs bodies and sets QQ's headers.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    pub key: WebhookKey,
    pub app_id: String,
    pub extra: Vec<(HeaderName, HeaderValue)>,
}

/// Unix seconds now, as text.
pub(crate) fn unix_now() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .to_string()
}

impl Signer {
    /// The headers QQ sends for `body`, signed with a fresh timestamp and trace id.
    pub fn headers(&self, body: &str) -> HeaderMap {
        let timestamp = unix_now();
        let signature = self.key.sign(&timestamp, body.as_bytes());
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(QQ_USER_AGENT));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let mut put = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        put(HEADER_APP_ID, &self.app_id);
        put(HEADER_SIGNATURE, &signature);
        put(HEADER_TIMESTAMP, &timestamp);
        put(HEADER_METHOD, "Ed25519");
        put(HEADER_TRACE, &uuid::Uuid::new_v4().to_string());
        for (name, value) in &self.extra {
            headers.insert(name.clone(), value.clone());
        }
        headers
    }

    /// POST once; the answer's body is returned on success.
    pub async fn post_once(
        &self,
        client: &reqwest::Client,
        url: &str,
        body: &str,
    ) -> (Attempt, Option<String>) {
        let started = Instant::now();
        let sent = client
            .post(url)
            .headers(self.headers(body))
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.text().await.ok();
                (
                    Attempt {
                        status: Some(status),
                        latency: started.elapsed(),
                        error: None,
                    },
                    text,
                )
            }
            Err(e) => (
                Attempt {
                    status: None,
                    latency: started.elapsed(),
                    error: Some(error_chain(&e)),
                },
                None,
            ),
        }
    }

    /// POST until a 2xx or `policy.attempts` attempts, waiting `policy.delay(n)` in between.
    pub async fn post_with_retry(
        &self,
        client: &reqwest::Client,
        url: &str,
        body: &str,
        policy: RetryPolicy,
    ) -> Vec<Attempt> {
        let mut attempts = Vec::new();
        let total = policy.attempts.max(1);
        for n in 1..=total {
            let (attempt, _) = self.post_once(client, url, body).await;
            let ok = attempt.ok();
            attempts.push(attempt);
            if ok || n == total {
                break;
            }
            tokio::time::sleep(policy.delay(n)).await;
        }
        attempts
    }
}

/// `reqwest` errors hide the useful part in their sources; join them on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Parse `K:V` header arguments (as `--forward-header` takes them).
pub fn parse_header(arg: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = arg
        .split_once(':')
        .ok_or_else(|| format!("header `{arg}` is not of the form K:V"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("`{}` is not a valid header name", name.trim()))?;
    let mut value = HeaderValue::from_str(value.trim())
        .map_err(|_| format!("the value of header `{name}` is not valid"))?;
    // Extra headers often carry tokens: keep them out of Debug output.
    value.set_sensitive(true);
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy::default();
        let delays: Vec<_> = (1..=6).map(|n| p.delay(n).as_millis()).collect();
        assert_eq!(delays, vec![250, 500, 1000, 2000, 4000, 4000]);
        assert_eq!(p.delay(1000), Duration::from_secs(4));
    }

    #[test]
    fn headers_are_the_platforms_and_verify() {
        let key = WebhookKey::from_secret(&Secret::new("abc")).unwrap();
        let signer = Signer {
            key: key.clone(),
            app_id: "123".into(),
            extra: vec![parse_header("X-Extra: 1").unwrap()],
        };
        let h = signer.headers("{}");
        assert_eq!(h["user-agent"], "QQBot-Callback");
        assert_eq!(h["x-bot-appid"], "123");
        assert_eq!(h["x-signature-method"], "Ed25519");
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["x-extra"], "1");
        assert!(h.contains_key("x-tps-trace-id"));
        let ts = h["x-signature-timestamp"].to_str().unwrap();
        let sig = h["x-signature-ed25519"].to_str().unwrap();
        assert_eq!(sig.len(), 128);
        assert_eq!(key.public_key().verify(ts, b"{}", sig), Ok(()));
    }

    #[test]
    fn header_arguments() {
        let (n, v) = parse_header("Authorization: Bearer x:y").unwrap();
        assert_eq!(n.as_str(), "authorization");
        assert_eq!(v, "Bearer x:y");
        assert!(v.is_sensitive());
        assert_eq!(format!("{v:?}"), "Sensitive");
        assert!(parse_header("novalue").is_err());
        assert!(parse_header("bad name: v").is_err());
    }
}
