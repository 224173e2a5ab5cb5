//! Webhook wire shapes: header names, op 13 validation request and answer, op 12 ACK, and the
//! op 0 body (no `s`).

use serde::{Deserialize, Deserializer, Serialize};

use super::sign::WebhookKey;

/// `User-Agent` value the platform sends.
pub const USER_AGENT: &str = "QQBot-Callback";
/// The app id header (receivers route on it and answer 403 without it).
pub const HEADER_APP_ID: &str = "x-bot-appid";
/// Hex Ed25519 signature over timestamp ‖ body.
pub const HEADER_SIGNATURE: &str = "x-signature-ed25519";
/// Unix seconds, as text; signed as the prefix of the message.
pub const HEADER_TIMESTAMP: &str = "x-signature-timestamp";
/// Always `Ed25519`.
pub const HEADER_METHOD: &str = "x-signature-method";
/// A per-request trace id.
pub const HEADER_TRACE: &str = "x-tps-trace-id";

/// The op 12 ACK body qqbot answers a dispatch with (botgo's shape; the platform reads the status).
pub const ACK_BODY: &str = r#"{"op":12,"d":0}"#;
/// The op 12 body answered when the event could not be queued (botgo's "failed, retry" form).
pub const NACK_BODY: &str = r#"{"op":12,"d":1}"#;

/// op 13 `d`: `{"plain_token","event_ts"}`. `event_ts` is a string in current docs; a 2022-era
/// example had a number, which is accepted and read as its decimal text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationRequest {
    /// Token to echo back.
    pub plain_token: String,
    /// Unix seconds as text; the answer signs `event_ts` ‖ `plain_token`.
    #[serde(deserialize_with = "string_or_number")]
    pub event_ts: String,
}

/// The answer to op 13: `{"plain_token","signature"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationAnswer {
    /// The token from the request.
    pub plain_token: String,
    /// Hex signature over `event_ts` ‖ `plain_token`.
    pub signature: String,
}

impl ValidationAnswer {
    /// Sign the answer to `request` with `key`.
    pub fn sign(key: &WebhookKey, request: &ValidationRequest) -> ValidationAnswer {
        ValidationAnswer {
            plain_token: request.plain_token.clone(),
            signature: key.sign(&request.event_ts, request.plain_token.as_bytes()),
        }
    }
}

/// The whole op 13 request body: `{"d":{"plain_token":…,"event_ts":"…"},"op":13}`.
pub fn validation_body(plain_token: &str, event_ts: &str) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        d: Inner<'a>,
        op: u8,
    }
    #[derive(Serialize)]
    struct Inner<'a> {
        plain_token: &'a str,
        event_ts: &'a str,
    }
    serde_json::to_string(&Body {
        d: Inner {
            plain_token,
            event_ts,
        },
        op: 13,
    })
    .expect("strings always serialise")
}

/// A webhook dispatch body in the platform's key order: `{"id":…,"op":0,"d":…,"t":…}`, with no
/// `s`. `d_raw` is written byte-exact; `id` is left out when unknown.
pub fn dispatch_body(t: &str, id: Option<&str>, d_raw: &str) -> String {
    let t = serde_json::to_string(t).expect("strings always serialise");
    match id {
        Some(id) => {
            let id = serde_json::to_string(id).expect("strings always serialise");
            format!(r#"{{"id":{id},"op":0,"d":{d_raw},"t":{t}}}"#)
        }
        None => format!(r#"{{"op":0,"d":{d_raw},"t":{t}}}"#),
    }
}

fn string_or_number<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ts {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Ts::deserialize(de)? {
        Ts::Text(s) => s,
        Ts::Number(n) => n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Envelope;

    #[test]
    fn validation_body_matches_the_documented_text() {
        assert_eq!(
            validation_body("Arq0D5A61EgUu4OxUvOp", "1725442341"),
            r#"{"d":{"plain_token":"Arq0D5A61EgUu4OxUvOp","event_ts":"1725442341"},"op":13}"#
        );
    }

    #[test]
    fn event_ts_as_string_or_number() {
        let a: ValidationRequest =
            serde_json::from_str(r#"{"plain_token":"p","event_ts":"1725442341"}"#).unwrap();
        let b: ValidationRequest =
            serde_json::from_str(r#"{"plain_token":"p","event_ts":1725442341}"#).unwrap();
        assert_eq!(a, b);
        assert!(serde_json::from_str::<ValidationRequest>(r#"{"plain_token":"p"}"#).is_err());
    }

    #[test]
    fn dispatch_body_has_no_s_and_exact_d() {
        let d = r#"{"content":"a \"q\" 文字"}"#;
        let body = dispatch_body("C2C_MESSAGE_CREATE", Some("C2C_MESSAGE_CREATE:1"), d);
        assert!(
            body.starts_with(r#"{"id":"C2C_MESSAGE_CREATE:1","op":0,"d":"#),
            "{body}"
        );
        let env = Envelope::peek(&body).unwrap();
        assert_eq!(env.s, None);
        assert_eq!(env.d_text(), d);
        assert_eq!(env.t.as_deref(), Some("C2C_MESSAGE_CREATE"));
        let no_id = dispatch_body("X", None, "{}");
        assert_eq!(no_id, r#"{"op":0,"d":{},"t":"X"}"#);
    }
}
