//! The session-start budget (`session_start_limit` of `/gateway/bot`), kept under the gateway
//! lock with the sessions so an Identify and its budget change together.

use serde_json::{Value, json};
use tokio::time::Instant;

use super::{START_LIMIT_RESET, Shared};

impl Shared {
    /// `session_start_limit` as `/gateway/bot` reports it.
    pub fn session_start_limit(&self) -> Value {
        let gw = self.gateway();
        let reset_after = gw
            .start_window_began
            .map(|began| {
                START_LIMIT_RESET.saturating_sub(Instant::now().saturating_duration_since(began))
            })
            .unwrap_or(START_LIMIT_RESET);
        json!({
            "total": self.config.session_start_total,
            "remaining": gw.start_remaining,
            "reset_after": reset_after.as_millis() as u64,
            "max_concurrency": self.config.max_concurrency,
        })
    }

    pub fn session_start_remaining(&self) -> u32 {
        self.gateway().start_remaining
    }
}
