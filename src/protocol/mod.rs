//! The pure protocol layer: wire types and tables, no I/O.

pub mod api_errors;
pub mod close;
pub mod envelope;
pub mod events;
pub(crate) mod fastpeek;
pub mod intents;
pub mod names;
pub mod opcode;
pub mod payloads;

pub use close::{CloseAction, CloseInfo, close_info};
pub use envelope::{Envelope, EnvelopeError};
pub use events::EventType;
pub use fastpeek::{Peeked, Span};
pub use intents::{IntentError, Intents};
pub use names::EventNames;
pub use opcode::OpCode;
