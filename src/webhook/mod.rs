//! Webhook mode: QQ's HTTP callback transport.
//!
//! - [`sign`](mod@sign): Ed25519 with QQ's key derivation (secret repeated to a 32-byte seed).
//! - [`receiver`]: an HTTP(S) endpoint that verifies callbacks, answers op 13 validation, ACKs
//!   dispatches with op 12 at once and feeds them into the same [`GatewayItem`] pipeline as the
//!   gateway (shard `[0,1]`, no `s`).
//! - [`forward`]: re-deliver events to local handlers as QQ would, signed with the bot's key.
//! - [`warnings`]: what would make QQ's callback URL check fail.
//!
//! See `src/webhook/README.md` for the user-facing description.
//!
//! [`GatewayItem`]: crate::gateway::item::GatewayItem

pub(crate) mod deliver;
pub mod forward;
pub mod payload;
pub mod receiver;
pub mod sign;
mod tls;
pub mod warnings;

pub use deliver::{Attempt, RetryPolicy, parse_header};
pub use forward::{ForwardConfig, ForwardError, ForwardResult, ForwardStats, Forwarder, QueueFull};
pub use payload::{ValidationAnswer, ValidationRequest};
pub use receiver::{
    DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS, MAX_BODY,
    ReceiverConfig, ReceiverError, ReceiverStats, Rejection, WebhookReceiver,
};
pub use sign::{KeyError, PublicKey, SignatureError, WebhookKey, derive_seed, sign, verify};
pub use tls::{TlsError, TlsErrorKind, TlsFiles};
pub use warnings::{ALLOWED_PORTS, setup_warnings};
