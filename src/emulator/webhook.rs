//! The emulator as a webhook sender (`EmulatorConfig::webhook_to`).
//!
//! At start it performs QQ's op 13 callback validation against the URL and checks the answer's
//! signature; then it POSTs every dispatch the emulator generates or injects (webhook mode has no
//! intents, so every event goes out) with the platform's headers and a body without `s`,
//! retrying non-2xx answers with bounded backoff. Events are sent one at a time, in order.
//! Validation failures are reported (log + status) and sending goes on, so the receiver's
//! rejections stay visible.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::config::EmulatorConfig;
use crate::webhook::deliver::{RetryPolicy, Signer, unix_now};
use crate::webhook::payload::{ValidationAnswer, dispatch_body, validation_body};
use crate::webhook::sign::WebhookKey;

/// Capacity of the outgoing queue; events beyond it are dropped and counted.
const QUEUE: usize = 10_000;

/// Where the op 13 validation stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum Validation {
    /// Not finished yet.
    Pending,
    /// The receiver answered with the correctly signed `plain_token`.
    Passed,
    /// It did not; the reason says how.
    Failed(String),
}

/// What the webhook sender has done so far (also under `webhook` in `/_emulator/state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookStatus {
    /// The callback URL.
    pub url: String,
    /// op 13 validation result.
    pub validation: Validation,
    /// Events answered 2xx.
    pub delivered: u64,
    /// Events never answered 2xx (all attempts failed).
    pub failed_events: u64,
    /// Attempts that failed (non-2xx or transport error), retries included.
    pub failed_attempts: u64,
    /// Events dropped because the outgoing queue was full.
    pub dropped: u64,
    /// The last failure, for display.
    pub last_error: Option<String>,
}

struct Outgoing {
    t: Arc<str>,
    id: String,
    d_raw: String,
}

/// The hook `Shared::deliver` calls for every event.
#[derive(Debug)]
pub(crate) struct WebhookTap {
    tx: mpsc::Sender<Outgoing>,
    status: watch::Sender<WebhookStatus>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing").field("t", &self.t).finish()
    }
}

impl WebhookTap {
    /// Queue one event for sending (never waits).
    pub fn offer(&self, t: &Arc<str>, id: &str, d_raw: &str) {
        let event = Outgoing {
            t: t.clone(),
            id: id.to_owned(),
            d_raw: d_raw.to_owned(),
        };
        if self.tx.try_send(event).is_err() {
            self.status.send_modify(|s| s.dropped += 1);
        }
    }

    /// The current status.
    pub fn status(&self) -> WebhookStatus {
        self.status.borrow().clone()
    }

    /// Watch the status change.
    pub fn watch(&self) -> watch::Receiver<WebhookStatus> {
        self.status.subscribe()
    }
}

/// Start the sender task for `url`. Fails only when no key can be derived from the secret.
pub(crate) fn start(
    config: &EmulatorConfig,
    url: String,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(WebhookTap, JoinHandle<()>), std::io::Error> {
    let key = WebhookKey::from_secret(&config.secret)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(std::io::Error::other)?;
    let signer = Signer {
        key,
        app_id: config.app_id.clone(),
        extra: Vec::new(),
    };
    let (tx, rx) = mpsc::channel(QUEUE);
    let (status, _) = watch::channel(WebhookStatus {
        url: url.clone(),
        validation: Validation::Pending,
        delivered: 0,
        failed_events: 0,
        failed_attempts: 0,
        dropped: 0,
        last_error: None,
    });
    let sender = Sender {
        client,
        signer,
        url,
        status: status.clone(),
    };
    let task = tokio::spawn(async move {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => {}
            _ = sender.run(rx) => {}
        }
    });
    Ok((WebhookTap { tx, status }, task))
}

struct Sender {
    client: reqwest::Client,
    signer: Signer,
    url: String,
    status: watch::Sender<WebhookStatus>,
}

impl Sender {
    async fn run(self, mut rx: mpsc::Receiver<Outgoing>) {
        let validation = self.validate().await;
        match &validation {
            Validation::Failed(reason) => {
                tracing::warn!(url = %self.url, %reason, "webhook: callback validation (op 13) failed")
            }
            _ => tracing::info!(url = %self.url, "webhook: callback validation (op 13) passed"),
        }
        self.status.send_modify(|s| {
            if let Validation::Failed(reason) = &validation {
                s.last_error = Some(format!("validation: {reason}"));
            }
            s.validation = validation;
        });
        while let Some(event) = rx.recv().await {
            let body = dispatch_body(&event.t, Some(&event.id), &event.d_raw);
            let attempts = self
                .signer
                .post_with_retry(&self.client, &self.url, &body, RetryPolicy::default())
                .await;
            let failed = attempts.iter().filter(|a| !a.ok()).count() as u64;
            let last = attempts.last();
            let ok = last.is_some_and(|a| a.ok());
            let error = last
                .filter(|a| !a.ok())
                .map(|a| match (&a.status, &a.error) {
                    (Some(status), _) => format!("{} answered HTTP {status}", event.t),
                    (None, Some(e)) => format!("{}: {e}", event.t),
                    (None, None) => format!("{}: no answer", event.t),
                });
            if let Some(e) = &error {
                tracing::warn!(url = %self.url, error = %e, "webhook: event not delivered");
            }
            self.status.send_modify(|s| {
                s.failed_attempts += failed;
                if ok {
                    s.delivered += 1;
                } else {
                    s.failed_events += 1;
                    s.last_error = error;
                }
            });
        }
    }

    /// op 13: send `{plain_token, event_ts}`, expect the token back signed over
    /// `event_ts` ‖ `plain_token` with the bot's key.
    async fn validate(&self) -> Validation {
        let plain_token = uuid::Uuid::new_v4().simple().to_string()[..20].to_owned();
        let event_ts = unix_now();
        let body = validation_body(&plain_token, &event_ts);
        let (attempt, text) = self.signer.post_once(&self.client, &self.url, &body).await;
        let status = match (attempt.status, attempt.error) {
            (Some(status), _) => status,
            (None, error) => {
                return Validation::Failed(format!(
                    "no answer: {}",
                    error.unwrap_or_else(|| "unknown error".into())
                ));
            }
        };
        if !(200..300).contains(&status) {
            return Validation::Failed(format!("answered HTTP {status}, expected 200"));
        }
        let Some(answer) = text
            .as_deref()
            .and_then(|t| serde_json::from_str::<ValidationAnswer>(t).ok())
        else {
            return Validation::Failed(
                "answer is not JSON {\"plain_token\",\"signature\"}".to_owned(),
            );
        };
        if answer.plain_token != plain_token {
            return Validation::Failed("answer echoes a different plain_token".to_owned());
        }
        let public = self.signer.key.public_key();
        match public.verify(&event_ts, plain_token.as_bytes(), &answer.signature) {
            Ok(()) => Validation::Passed,
            Err(e) => Validation::Failed(format!(
                "answer signature: {e} (does the receiver use this app's secret?)"
            )),
        }
    }
}
