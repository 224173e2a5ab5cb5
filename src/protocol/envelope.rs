//! Envelope peek: read `op`, `s`, `t`, `id` and the raw `d` of a frame in one pass.
//!
//! The peek borrows from the frame text and never parses `d`, so dispatches can travel as raw
//! text (byte-exact for recording and NDJSON) and typed models are parsed only on demand.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::opcode::OpCode;

/// The borrowed header of one gateway or webhook frame.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    /// The opcode value as sent.
    pub op: u64,
    /// The sequence number (`s`), on downlink dispatches. Missing and `null` both read as `None`.
    #[serde(default)]
    pub s: Option<u64>,
    /// The event name (`t`) on dispatches; missing and `null` both read as `None`. Borrowed
    /// from the text unless it had escapes.
    #[serde(default, borrow, deserialize_with = "borrowed")]
    pub t: Option<Cow<'a, str>>,
    /// The event id (`id`), e.g. `AT_MESSAGE_CREATE:<uuid>`. Borrowed from the text unless it
    /// had escapes.
    #[serde(default, borrow, deserialize_with = "borrowed")]
    pub id: Option<Cow<'a, str>>,
    /// The body (`d`), unparsed. Missing and `null` both read as `None`.
    #[serde(default, borrow)]
    pub d: Option<&'a RawValue>,
}

/// An optional string borrowed from the input when it has no escapes: serde borrows a
/// `Cow<str>` field marked `borrow`, but not one inside an `Option`, which it always copies.
fn borrowed<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'de>>::deserialize(d)?.map(|b| b.0))
}

impl<'a> Envelope<'a> {
    /// Peek at a frame. Fails only when the text is not a JSON object with a numeric `op`.
    pub fn peek(text: &'a str) -> Result<Envelope<'a>, EnvelopeError> {
        // serde accepts a JSON array for a struct; a frame must be an object.
        if let Some(first) = text.trim_start().chars().next().filter(|c| *c != '{') {
            return Err(EnvelopeError {
                line: 1,
                column: 1,
                message: format!("expected a JSON object, found `{first}`"),
            });
        }
        serde_json::from_str(text).map_err(|e| EnvelopeError {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// The opcode.
    pub fn opcode(&self) -> OpCode {
        OpCode::from_code(self.op)
    }

    /// The raw `d` text, or `"null"` when absent.
    pub fn d_text(&self) -> &str {
        self.d.map(RawValue::get).unwrap_or("null")
    }
}

/// A frame that is not a gateway envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed frame at line {line}, column {column}: {message}")]
pub struct EnvelopeError {
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column of the problem.
    pub column: usize,
    /// What serde_json said.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peek(text: &str) -> Envelope<'_> {
        Envelope::peek(text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// Every frame shown in PROTOCOL.md §3 and §7, in the key orders shown there.
    const PROTOCOL_FRAMES: &[(&str, u64, Option<u64>, Option<&str>)] = &[
        (
            r#"{ "id": "AT_MESSAGE_CREATE:5f2c6e8a-0b1d-4c3e-9f7a-1e2d3c4b5a69", "op": 0, "d": {}, "s": 42, "t": "AT_MESSAGE_CREATE" }"#,
            0,
            Some(42),
            Some("AT_MESSAGE_CREATE"),
        ),
        (
            r#"{"op":10,"d":{"heartbeat_interval":45000}}"#,
            10,
            None,
            None,
        ),
        (
            r#"{ "op": 2, "d": { "token": "QQBot <access_token>", "intents": 513, "shard": [0, 4], "properties": { "$os": "linux", "$browser": "my_library", "$device": "my_library" } } }"#,
            2,
            None,
            None,
        ),
        (
            r#"{"op":2,"d":{"token":"QQBot x","intents":1,"shard":[0,1],"properties":{}},"Session":null}"#,
            2,
            None,
            None,
        ),
        (
            r#"{"t":null,"d":{"token":"QQBot x","intents":1,"shard":null,"properties":{"$os":"linux"}},"s":null,"op":2}"#,
            2,
            None,
            None,
        ),
        (
            r#"{ "op": 0, "s": 1, "t": "READY", "d": { "version": 1, "session_id": "082ee18c-0be3-491b-9d8b-fbd95c51673a", "user": { "id": "6158788878435714165", "username": "群pro测试机器人", "bot": true }, "shard": [0, 1] } }"#,
            0,
            Some(1),
            Some("READY"),
        ),
        (r#"{"op":1,"d":null}"#, 1, None, None),
        (r#"{"op":1,"d":0,"Session":null}"#, 1, None, None),
        (r#"{"op":1,"s":17}"#, 1, Some(17), None),
        (r#"{"op":11}"#, 11, None, None),
        (
            r#"{ "op": 6, "d": { "token": "QQBot <access_token>", "session_id": "082ee18c-0be3-491b-9d8b-fbd95c51673a", "seq": 1337 } }"#,
            6,
            None,
            None,
        ),
        (
            r#"{ "op": 0, "s": 2002, "t": "RESUMED", "d": "" }"#,
            0,
            Some(2002),
            Some("RESUMED"),
        ),
        (r#"{"op":7}"#, 7, None, None),
        (r#"{"op":9,"d":false}"#, 9, None, None),
        (
            r#"{ "op": 0, "s": 7, "t": "GROUP_AT_MESSAGE_CREATE", "id": "GROUP_AT_MESSAGE_CREATE:yit7pdisg1ugi2ejzlc2ftxchdbcvuwyprx6jusrlcb3ifop7ft9skolij8yha", "d": { "id": "ROBOT1.0_yiT7pd!", "content": " lssv", "timestamp": "2025-09-08T23:13:34+08:00", "author": { "id": "0BA13D42931777D3922F226B6B5D7F13", "member_openid": "0BA13D42931777D3922F226B6B5D7F13" }, "group_openid": "82B3406CB35C23E1071C8D6EC61C6064", "message_scene": { "source": "default" }, "message_type": 0 } }"#,
            0,
            Some(7),
            Some("GROUP_AT_MESSAGE_CREATE"),
        ),
        (
            r#"{ "op": 0, "s": 2, "t": "MESSAGE_REACTION_ADD", "id": "MESSAGE_REACTION_ADD:50dc07ea-4a3b-4634-8516-cf1e8ddfbf38", "d": { "channel_id": "454677820", "emoji": { "id": "89", "type": 1 }, "guild_id": "5233096270906057162", "target": { "id": "08cac3", "type": "ReactionTargetType_MSG" }, "user_id": "11528069550601428493" } }"#,
            0,
            Some(2),
            Some("MESSAGE_REACTION_ADD"),
        ),
        (
            r#"{"d":{"plain_token":"Arq0D5A61EgUu4OxUvOp","event_ts":"1725442341"},"op":13}"#,
            13,
            None,
            None,
        ),
        (r#"{"op":12,"d":0}"#, 12, None, None),
    ];

    #[test]
    fn peeks_every_protocol_frame() {
        for (text, op, s, t) in PROTOCOL_FRAMES {
            let env = peek(text);
            assert_eq!(env.op, *op, "{text}");
            assert_eq!(env.s, *s, "{text}");
            assert_eq!(env.t.as_deref(), *t, "{text}");
        }
    }

    #[test]
    fn d_is_byte_exact_and_key_order_does_not_matter() {
        let a = r#"{"op":0,"s":5,"t":"X","id":"X:1","d":{"b": [1, 2],  "a":"q\"uote"}}"#;
        let b = r#"{"d":{"b": [1, 2],  "a":"q\"uote"},"id":"X:1","t":"X","s":5,"op":0}"#;
        for text in [a, b] {
            let env = peek(text);
            assert_eq!(env.d_text(), r#"{"b": [1, 2],  "a":"q\"uote"}"#);
            assert_eq!(env.id.as_deref(), Some("X:1"));
            assert_eq!(env.s, Some(5));
        }
    }

    #[test]
    fn nested_keys_named_like_envelope_keys_are_not_confused() {
        // A substring scan would find `"op":7` or `"s":99` inside d; the peek must not.
        let text = r#"{"d":{"op":7,"s":99,"t":"FAKE","content":"\"op\":9"},"op":0,"s":3,"t":"AT_MESSAGE_CREATE"}"#;
        let env = peek(text);
        assert_eq!(env.op, 0);
        assert_eq!(env.s, Some(3));
        assert_eq!(env.t.as_deref(), Some("AT_MESSAGE_CREATE"));
    }

    #[test]
    fn null_t_missing_s_missing_d_and_unknown_fields() {
        let env = peek(r#"{"op":0,"t":null,"d":null,"extra":{"deep":[1,{"x":null}]}}"#);
        assert_eq!(env.t, None);
        assert_eq!(env.s, None);
        assert!(env.d.is_none());
        assert_eq!(env.d_text(), "null");
        let env = peek(r#"{"op":11}"#);
        assert!(env.d.is_none());
        assert_eq!(env.opcode(), OpCode::HeartbeatAck);
    }

    #[test]
    fn escaped_event_names_are_decoded() {
        let env = peek(r#"{"op":0,"s":1,"t":"READ\u0059","d":""}"#);
        assert_eq!(env.t.as_deref(), Some("READY"));
        assert_eq!(env.d_text(), r#""""#);
    }

    #[test]
    fn plain_t_and_id_are_borrowed_and_escaped_ones_decoded() {
        let env = peek(r#"{"op":0,"t":"X","id":"X:1"}"#);
        assert!(matches!(env.t, Some(Cow::Borrowed("X"))));
        assert!(matches!(env.id, Some(Cow::Borrowed("X:1"))));
        let env = peek(r#"{"op":0,"t":null,"id":"X:\u0026"}"#);
        assert_eq!(env.t, None);
        assert!(matches!(env.id.as_ref(), Some(Cow::Owned(id)) if id == "X:&"));
    }

    #[test]
    fn unknown_opcodes_are_kept() {
        let env = peek(r#"{"op":42,"d":{}}"#);
        assert_eq!(env.opcode(), OpCode::Unknown(42));
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        for text in [
            "",
            "not json",
            "[1,2]",
            r#"{"s":1}"#,
            r#"{"op":"zero"}"#,
            r#"{"op":0,"d":{"unterminated":"#,
            r#"{"op":-1}"#,
        ] {
            let err = Envelope::peek(text).expect_err(text);
            assert!(err.to_string().starts_with("malformed frame"), "{err}");
        }
    }
}
