//! Access tokens: the same token comes back with its remaining lifetime; inside the last 60 s a
//! new one is minted and the old one stays valid until its own expiry (PROTOCOL.md §1.1).

use std::time::Duration;

use tokio::time::Instant;

use crate::secret::Secret;

/// Inside this much of the end of a token's life, a request mints a new token.
pub const REFRESH_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Token {
    value: Secret,
    expires_at: Instant,
}

/// Every token minted and when it expires.
#[derive(Debug)]
pub struct TokenStore {
    ttl: Duration,
    tokens: Vec<Token>,
    minted: u64,
}

impl TokenStore {
    /// A store minting tokens that live `ttl`.
    pub fn new(ttl: Duration) -> TokenStore {
        TokenStore {
            ttl,
            tokens: Vec::new(),
            minted: 0,
        }
    }

    /// The token to hand out now and its remaining lifetime in whole seconds.
    pub fn issue(&mut self, now: Instant) -> (Secret, u64) {
        self.prune(now);
        let reuse = self
            .tokens
            .last()
            .filter(|t| t.expires_at.saturating_duration_since(now) > REFRESH_WINDOW);
        let token = match reuse {
            Some(t) => t,
            None => {
                self.minted += 1;
                let value = format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                );
                self.tokens.push(Token {
                    value: Secret::new(value),
                    expires_at: now + self.ttl,
                });
                self.tokens.last().expect("just pushed")
            }
        };
        let remaining = token.expires_at.saturating_duration_since(now).as_secs();
        (token.value.clone(), remaining)
    }

    /// Whether `value` is a token that has not expired.
    pub fn is_live(&self, value: &str, now: Instant) -> bool {
        self.tokens
            .iter()
            .any(|t| t.expires_at > now && t.value.expose() == value)
    }

    /// Every token ever minted that is still stored (for redaction of recorded frames).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(|t| t.value.expose())
    }

    /// How many tokens are live now.
    pub fn live_count(&self, now: Instant) -> usize {
        self.tokens.iter().filter(|t| t.expires_at > now).count()
    }

    /// How many tokens were minted since start.
    pub fn minted(&self) -> u64 {
        self.minted
    }

    /// End the life of every token issued so far (kept for redaction, like expired ones).
    pub fn revoke_all(&mut self, now: Instant) {
        for token in &mut self.tokens {
            token.expires_at = token.expires_at.min(now);
        }
    }

    fn prune(&mut self, now: Instant) {
        // Keep expired tokens a while so recorded frames carrying them are still redacted.
        let keep_after = self.ttl;
        self.tokens
            .retain(|t| now.saturating_duration_since(t.expires_at) < keep_after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn same_token_until_the_last_minute_then_both_valid() {
        let mut store = TokenStore::new(Duration::from_secs(7200));
        let (first, ttl) = store.issue(Instant::now());
        assert_eq!(ttl, 7200);
        tokio::time::advance(Duration::from_secs(1000)).await;
        let (again, ttl) = store.issue(Instant::now());
        assert_eq!(again, first);
        assert_eq!(ttl, 6200);
        tokio::time::advance(Duration::from_secs(6150)).await;
        let (fresh, ttl) = store.issue(Instant::now());
        assert_ne!(fresh, first);
        assert_eq!(ttl, 7200);
        assert!(store.is_live(first.expose(), Instant::now()));
        assert!(store.is_live(fresh.expose(), Instant::now()));
        tokio::time::advance(Duration::from_secs(51)).await;
        assert!(!store.is_live(first.expose(), Instant::now()));
        assert!(store.is_live(fresh.expose(), Instant::now()));
        assert_eq!(store.minted(), 2);
    }
}
