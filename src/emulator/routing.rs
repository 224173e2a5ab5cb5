//! Which shard an event goes to.
//!
//! Guild events follow the documented rule `shard_id = (guild_id >> 22) % num_shards`
//! (PROTOCOL.md §6.3). How the platform shards group and C2C events (string openids) is not
//! documented; the emulator's choice is the FNV-1a 64-bit hash of the openid modulo `num_shards`,
//! which is stable across runs and processes. Events with no routing key go to shard 0.

use serde_json::Value;

/// The value an event is routed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteKey<'a> {
    /// A numeric guild id.
    Guild(u64),
    /// An openid or any other non-numeric id.
    Opaque(&'a str),
}

/// The routing key of an event body: `guild_id`, else `group_openid`, else the user openid.
pub fn route_key(d: &Value) -> Option<RouteKey<'_>> {
    let field = |path: &[&str]| {
        let mut v = d;
        for key in path {
            v = v.get(key)?;
        }
        v.as_str().filter(|s| !s.is_empty())
    };
    if let Some(guild) = field(&["guild_id"]) {
        return Some(match guild.parse::<u64>() {
            Ok(id) => RouteKey::Guild(id),
            Err(_) => RouteKey::Opaque(guild),
        });
    }
    [
        &["group_openid"][..],
        &["author", "user_openid"],
        &["user_openid"],
        &["openid"],
    ]
    .iter()
    .find_map(|path| field(path))
    .map(RouteKey::Opaque)
}

/// FNV-1a, 64 bit.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The shard (of `num_shards`) that receives an event with body `d`.
pub fn shard_for(d: &Value, num_shards: u32) -> u32 {
    let n = u64::from(num_shards.max(1));
    let shard = match route_key(d) {
        Some(RouteKey::Guild(id)) => (id >> 22) % n,
        Some(RouteKey::Opaque(s)) => fnv1a(s.as_bytes()) % n,
        None => 0,
    };
    shard as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn guild_events_use_the_documented_formula() {
        let d = json!({"guild_id": "5233096270906057162"});
        assert_eq!(
            shard_for(&d, 4),
            ((5233096270906057162u64 >> 22) % 4) as u32
        );
        assert_eq!(shard_for(&d, 1), 0);
    }

    #[test]
    fn openid_events_hash_stably_and_keyless_go_to_zero() {
        let g = json!({"group_openid": "82B3406CB35C23E1071C8D6EC61C6064"});
        let c = json!({"author": {"user_openid": "82B3406CB35C23E1071C8D6EC61C6064"}});
        assert_eq!(shard_for(&g, 7), shard_for(&c, 7));
        assert_eq!(
            shard_for(&g, 7) as u64,
            fnv1a(b"82B3406CB35C23E1071C8D6EC61C6064") % 7
        );
        assert_eq!(shard_for(&json!({"x": 1}), 5), 0);
        assert_eq!(shard_for(&json!("not an object"), 5), 0);
    }
}
