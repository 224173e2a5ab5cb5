//! Access tokens: whether one is live, and the counts the state endpoint reports.

use serde_json::{Value, json};
use tokio::time::Instant;

use super::{Shared, lock};

impl Shared {
    pub fn token_live(&self, token: &str) -> bool {
        lock(&self.tokens).is_live(token, Instant::now())
    }

    /// Number of sessions (for the state endpoint).
    pub fn token_summary(&self) -> Value {
        let tokens = lock(&self.tokens);
        json!({"live": tokens.live_count(Instant::now()), "minted": tokens.minted()})
    }
}
