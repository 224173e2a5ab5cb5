//! Typed payloads the connection itself needs, and builders for the frames both sides send.
//!
//! Builders write JSON text directly with `serde_json` so that what goes on the wire is exactly
//! what the tests see.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::Secret;
use crate::protocol::Intents;

/// op 10 body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Milliseconds between heartbeats.
    pub heartbeat_interval: u64,
}

/// op 2 body. `shard` and `properties` are optional because SDKs send every shape of them.
///
/// `Debug` shows the token as `<redacted>`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Identify {
    /// `QQBot <access token>`.
    pub token: String,
    /// The intents bit set.
    #[serde(default)]
    pub intents: u64,
    /// `[shard_id, num_shards]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u32; 2]>,
    /// Ignored by the platform ("has no effect, may be empty").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
}

/// op 6 body. `Debug` shows the token as `<redacted>`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// `QQBot <access token>` (botgo sends the bare token).
    pub token: String,
    /// The session to resume.
    pub session_id: String,
    /// The last `s` the client saw. satori may send null.
    #[serde(default)]
    pub seq: Option<u64>,
}

/// `QQBot <access token>`: the token of Identify and Resume, and the OpenAPI's `Authorization`.
pub(crate) fn bot_token(token: &Secret) -> String {
    format!("QQBot {}", token.expose())
}

impl Identify {
    /// What qqbot sends: `QQBot <token>`, the intents, `[shard_id, num_shards]`, and
    /// `properties` naming the OS and qqbot (the platform ignores them).
    pub fn new(token: &Secret, intents: Intents, shard: [u32; 2]) -> Identify {
        Identify {
            token: bot_token(token),
            intents: intents.bits(),
            shard: Some(shard),
            properties: Some(serde_json::json!({
                "$os": std::env::consts::OS, "$browser": "qqbot", "$device": "qqbot",
            })),
        }
    }
}

impl fmt::Debug for Identify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identify")
            .field("token", &"<redacted>")
            .field("intents", &self.intents)
            .field("shard", &self.shard)
            .field("properties", &self.properties)
            .finish()
    }
}

impl Resume {
    /// What qqbot sends: `QQBot <token>`, the session and the last `s` handled.
    pub fn new(token: &Secret, session_id: impl Into<String>, seq: Option<u64>) -> Resume {
        Resume {
            token: bot_token(token),
            session_id: session_id.into(),
            seq,
        }
    }
}

impl fmt::Debug for Resume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resume")
            .field("token", &"<redacted>")
            .field("session_id", &self.session_id)
            .field("seq", &self.seq)
            .finish()
    }
}

/// op 9 `d`. Only `false` has been observed; a truthy value is read as "resumable".
pub fn invalid_session_resumable(d: Option<&RawValue>) -> bool {
    d.map(|raw| raw.get().trim() == "true").unwrap_or(false)
}

#[derive(Serialize)]
struct Frame<'a, D: Serialize + ?Sized> {
    op: u64,
    d: &'a D,
}

fn frame<D: Serialize + ?Sized>(op: u64, d: &D) -> String {
    serde_json::to_string(&Frame { op, d }).expect("gateway frames always serialise")
}

/// `{"op":1,"d":<seq or null>}`.
pub fn heartbeat_frame(last_seq: Option<u64>) -> String {
    frame(1, &last_seq)
}

/// `{"op":2,"d":{...}}`.
pub fn identify_frame(identify: &Identify) -> String {
    frame(2, identify)
}

/// `{"op":6,"d":{...}}`.
pub fn resume_frame(resume: &Resume) -> String {
    frame(6, resume)
}

/// `{"op":10,"d":{"heartbeat_interval":N}}`.
pub fn hello_frame(heartbeat_interval_ms: u64) -> String {
    frame(
        10,
        &Hello {
            heartbeat_interval: heartbeat_interval_ms,
        },
    )
}

/// `{"op":11}`.
pub fn heartbeat_ack_frame() -> String {
    r#"{"op":11}"#.to_owned()
}

/// `{"op":7}`.
pub fn reconnect_frame() -> String {
    r#"{"op":7}"#.to_owned()
}

/// `{"op":9,"d":false}` (or true).
pub fn invalid_session_frame(resumable: bool) -> String {
    frame(9, &resumable)
}

/// A dispatch with `d` passed through as raw JSON text: `{"op":0,"s":..,"t":..,"id":..,"d":..}`.
/// Pass `s = None` for webhook bodies, which carry no `s`.
pub fn dispatch_frame(s: Option<u64>, t: &str, id: &str, d_raw: &str) -> String {
    let t = serde_json::to_string(t).expect("string");
    let id = serde_json::to_string(id).expect("string");
    match s {
        Some(s) => format!(r#"{{"op":0,"s":{s},"t":{t},"id":{id},"d":{d_raw}}}"#),
        None => format!(r#"{{"op":0,"t":{t},"id":{id},"d":{d_raw}}}"#),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::envelope::Envelope;

    #[test]
    fn client_frames_have_the_documented_shapes() {
        assert_eq!(heartbeat_frame(None), r#"{"op":1,"d":null}"#);
        assert_eq!(heartbeat_frame(Some(42)), r#"{"op":1,"d":42}"#);
        let identify = Identify {
            token: "QQBot abc".into(),
            intents: 513,
            shard: Some([0, 4]),
            properties: None,
        };
        assert_eq!(
            identify_frame(&identify),
            r#"{"op":2,"d":{"token":"QQBot abc","intents":513,"shard":[0,4]}}"#
        );
        let resume = Resume {
            token: "QQBot abc".into(),
            session_id: "s-1".into(),
            seq: Some(1337),
        };
        assert_eq!(
            resume_frame(&resume),
            r#"{"op":6,"d":{"token":"QQBot abc","session_id":"s-1","seq":1337}}"#
        );
    }

    #[test]
    fn built_identify_and_resume_carry_the_token_but_never_show_it() {
        let token = Secret::new("t0ken-value");
        let identify = Identify::new(&token, Intents(513), [1, 4]);
        let frame = identify_frame(&identify);
        assert!(frame.starts_with(r#"{"op":2,"d":{"token":"QQBot t0ken-value","intents":513,"shard":[1,4],"properties":{"#), "{frame}");
        assert!(frame.contains(r#""$browser":"qqbot""#), "{frame}");
        let resume = Resume::new(&token, "s-1", Some(7));
        assert_eq!(
            resume_frame(&resume),
            r#"{"op":6,"d":{"token":"QQBot t0ken-value","session_id":"s-1","seq":7}}"#
        );
        let shown = format!("{identify:?} {resume:?}");
        assert!(!shown.contains("t0ken"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("s-1"),
            "{shown}"
        );
    }

    #[test]
    fn server_frames_round_trip_through_the_peek() {
        let hello = hello_frame(41250);
        let env = Envelope::peek(&hello).unwrap();
        assert_eq!(env.op, 10);
        let parsed: Hello = serde_json::from_str(env.d_text()).unwrap();
        assert_eq!(parsed.heartbeat_interval, 41250);

        let d = r#"{"content":"a \"quoted\" 文字"}"#;
        let text = dispatch_frame(Some(9), "AT_MESSAGE_CREATE", "AT_MESSAGE_CREATE:1", d);
        let env = Envelope::peek(&text).unwrap();
        assert_eq!(env.s, Some(9));
        assert_eq!(env.d_text(), d);
        let webhook = dispatch_frame(None, "C2C_MESSAGE_CREATE", "C2C:1", "{}");
        assert!(!webhook.contains("\"s\""));
        assert_eq!(invalid_session_frame(false), r#"{"op":9,"d":false}"#);
    }

    #[test]
    fn lenient_identify_and_ready_parsing() {
        // botrs: shard null, t/s null; satori: no properties; botgo: properties {}.
        for d in [
            r#"{"token":"QQBot x","intents":1,"shard":null,"properties":{"$os":"linux"}}"#,
            r#"{"token":"QQBot x","intents":1,"shard":[0,1]}"#,
            r#"{"token":"QQBot x","intents":1,"shard":[0,1],"properties":{},"extra":true}"#,
        ] {
            let identify: Identify = serde_json::from_str(d).unwrap();
            assert_eq!(identify.token, "QQBot x");
        }
        use crate::models::{Ready, ReadyUser};
        let ready: Ready = serde_json::from_str(
            r#"{"version":1,"session_id":"abc","user":{"id":"1","username":"bot","bot":true},"shard":[0,1]}"#,
        )
        .unwrap();
        assert_eq!(ready.shard, Some([0, 1]));
        assert_eq!(ready.version, Some(1));
        let minimal: Ready = serde_json::from_str(r#"{"session_id":"abc"}"#).unwrap();
        assert_eq!(minimal.user, ReadyUser::default());
    }

    #[test]
    fn invalid_session_d_semantics() {
        let env = Envelope::peek(r#"{"op":9,"d":false}"#).unwrap();
        assert!(!invalid_session_resumable(env.d));
        let env = Envelope::peek(r#"{"op":9,"d":true}"#).unwrap();
        assert!(invalid_session_resumable(env.d));
        let env = Envelope::peek(r#"{"op":9}"#).unwrap();
        assert!(!invalid_session_resumable(env.d));
    }
}
