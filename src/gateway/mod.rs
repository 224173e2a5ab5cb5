//! The gateway client: sans-IO shard core, async driver, heartbeat, session, cluster.
//!
//! Start with [`Cluster::start`]: it fetches a token and `/gateway/bot`, runs the shards and
//! returns a bounded receiver of [`GatewayItem`]s ([`Cluster::start_items`]: the shards' own
//! receiver, [`Items`]).

pub mod backoff;
pub mod cluster;
pub mod config;
pub mod core;
pub mod heartbeat;
pub mod item;
pub mod latency;
pub mod metrics;
pub mod probe;
pub mod queue;
pub mod receiver;
pub mod session;
pub mod shard;
pub mod transport;

pub use crate::protocol::EventNames;
pub use cluster::{Cluster, StartError};
pub use config::{
    FrameDir, FrameTap, GatewayConfig, HeartbeatConfig, HeartbeatCursorRef, ReconnectConfig,
    ShardSelection,
};
pub use core::{Action, ReconnectPlan, ShardCore, ShardState};
pub use heartbeat::HeartbeatCursor;
pub use item::{Cause, CloseOrigin, Dispatch, FatalCause, GatewayItem, ItemKind, ShardId};
pub use latency::LatencySummary;
pub use metrics::{ClusterMetrics, ShardMetrics, TotalMetrics};
pub use queue::{BucketQueue, IdentifyQueue};
pub use receiver::Items;
pub use session::SessionInfo;
pub use shard::ShardHandle;
