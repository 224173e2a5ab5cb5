//! Gateway and webhook opcodes (PROTOCOL.md §3.2).

use std::fmt;

/// An opcode as found in the `op` field. Unknown values are kept, not rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0: an event (`t` names it, `d` carries it).
    Dispatch,
    /// 1: client heartbeat (`d` = last `s` or null).
    Heartbeat,
    /// 2: client login.
    Identify,
    /// 6: client resumes a session.
    Resume,
    /// 7: server asks the client to reconnect (and resume).
    Reconnect,
    /// 9: the Identify or Resume was refused.
    InvalidSession,
    /// 10: first frame from the server, carries the heartbeat interval.
    Hello,
    /// 11: server acknowledges a heartbeat.
    HeartbeatAck,
    /// 12: webhook: the HTTP answer acknowledging a callback.
    HttpCallbackAck,
    /// 13: webhook: callback URL validation.
    CallbackValidation,
    /// Any other value, kept as sent.
    Unknown(u64),
}

impl OpCode {
    /// The numeric value on the wire.
    pub const fn code(self) -> u64 {
        match self {
            OpCode::Dispatch => 0,
            OpCode::Heartbeat => 1,
            OpCode::Identify => 2,
            OpCode::Resume => 6,
            OpCode::Reconnect => 7,
            OpCode::InvalidSession => 9,
            OpCode::Hello => 10,
            OpCode::HeartbeatAck => 11,
            OpCode::HttpCallbackAck => 12,
            OpCode::CallbackValidation => 13,
            OpCode::Unknown(n) => n,
        }
    }

    /// The opcode for a wire value.
    pub const fn from_code(code: u64) -> OpCode {
        match code {
            0 => OpCode::Dispatch,
            1 => OpCode::Heartbeat,
            2 => OpCode::Identify,
            6 => OpCode::Resume,
            7 => OpCode::Reconnect,
            9 => OpCode::InvalidSession,
            10 => OpCode::Hello,
            11 => OpCode::HeartbeatAck,
            12 => OpCode::HttpCallbackAck,
            13 => OpCode::CallbackValidation,
            n => OpCode::Unknown(n),
        }
    }

    /// A short lower-case name for logs and output.
    pub const fn name(self) -> &'static str {
        match self {
            OpCode::Dispatch => "dispatch",
            OpCode::Heartbeat => "heartbeat",
            OpCode::Identify => "identify",
            OpCode::Resume => "resume",
            OpCode::Reconnect => "reconnect",
            OpCode::InvalidSession => "invalid_session",
            OpCode::Hello => "hello",
            OpCode::HeartbeatAck => "heartbeat_ack",
            OpCode::HttpCallbackAck => "http_callback_ack",
            OpCode::CallbackValidation => "callback_validation",
            OpCode::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for OpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op {} ({})", self.code(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_known_code_and_keeps_unknown_ones() {
        for code in [0, 1, 2, 6, 7, 9, 10, 11, 12, 13] {
            let op = OpCode::from_code(code);
            assert!(!matches!(op, OpCode::Unknown(_)), "{code} should be known");
            assert_eq!(op.code(), code);
        }
        for code in [3, 4, 5, 8, 14, 99] {
            assert_eq!(OpCode::from_code(code), OpCode::Unknown(code));
            assert_eq!(OpCode::from_code(code).code(), code);
        }
        assert_eq!(OpCode::Hello.to_string(), "op 10 (hello)");
    }
}
