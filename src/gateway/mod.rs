//! The gateway client: sans-IO shard core, async driver, heartbeat, session, cluster.

pub mod item;

pub use item::{CloseOrigin, Dispatch, GatewayItem, ItemKind, ShardId};
