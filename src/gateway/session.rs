//! A resumable session: what a restarted process needs to resume instead of identifying.

use serde::{Deserialize, Serialize};

use crate::gateway::item::ShardId;

/// Session id, last seq and shard. Serialisable so the CLI can keep it in a `--state-file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session id from READY.
    pub session_id: String,
    /// The last `s` received (sent in Resume and heartbeats).
    pub last_seq: Option<u64>,
    /// The shard the session belongs to.
    pub shard: ShardId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let info = SessionInfo {
            session_id: "abc".into(),
            last_seq: Some(42),
            shard: ShardId { id: 1, count: 2 },
        };
        let text = serde_json::to_string(&info).unwrap();
        assert_eq!(
            text,
            r#"{"session_id":"abc","last_seq":42,"shard":{"id":1,"count":2}}"#
        );
        let back: SessionInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(back, info);
    }
}
