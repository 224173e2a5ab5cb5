//! Lifecycle lines: [`ItemKind`] (everything but dispatches) to and from the fields of an
//! `{"type":"event"}` line.
//!
//! Durations are stored as integer nanoseconds (`*_ns`) so that replayed items print exactly
//! what the live ones printed.

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;

use super::error::LineError;
use super::redact::Redactor;
use crate::gateway::{Cause, CloseOrigin, FatalCause, ItemKind, ShardState};
use crate::output::json_fields::{LifecycleStyle, field_opt_num, field_str, lifecycle_fields};
use crate::protocol::CloseAction;

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn action_from_key(key: &str) -> Option<CloseAction> {
    [
        CloseAction::Resume,
        CloseAction::BackoffThenResume,
        CloseAction::Identify,
        CloseAction::RefreshTokenThenIdentify,
        CloseAction::Fatal,
    ]
    .into_iter()
    .find(|a| a.key() == key)
}

/// How recordings write lifecycle fields: integer nanoseconds, free text through the redactor
/// (secrets), READY's user id and name pseudonymised like the ids in frames.
struct Recorded<'a>(&'a Redactor);

impl LifecycleStyle for Recorded<'_> {
    fn duration(&self, out: &mut String, base: &str, d: Option<Duration>, _fractional: bool) {
        field_opt_num(out, &format!("{base}_ns"), d.map(ns));
    }

    fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        self.0.text(s)
    }

    fn user_id<'a>(&self, id: &'a str) -> Cow<'a, str> {
        self.0.id(id)
    }

    fn username<'a>(&self, name: &'a str) -> Cow<'a, str> {
        self.0.name(name)
    }
}

/// Append `,"kind":…` and the item's fields (see [`lifecycle_fields`]).
pub(crate) fn write_fields(out: &mut String, kind: &ItemKind, redactor: &Redactor) {
    field_str(out, "kind", kind.key());
    lifecycle_fields(out, kind, &Recorded(redactor));
}

/// The fields an event line may carry; unknown keys are ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EventFields {
    kind: Option<String>,
    url: Option<String>,
    attempt: Option<u32>,
    from: Option<String>,
    to: Option<String>,
    heartbeat_interval_ns: Option<u64>,
    intents: Option<u64>,
    session_id: Option<String>,
    seq: Option<u64>,
    user_id: Option<String>,
    username: Option<String>,
    replayed: Option<u64>,
    recovered_in_ns: Option<u64>,
    rtt_ns: Option<u64>,
    resumable: Option<bool>,
    reason: Option<String>,
    code: Option<u16>,
    origin: Option<String>,
    action: Option<String>,
    delay_ns: Option<u64>,
    resume: Option<bool>,
    dropped: Option<u64>,
    after: Option<u64>,
    next: Option<u64>,
    message: Option<String>,
    hint: Option<String>,
    cause: Option<String>,
    missed: Option<u32>,
    version: Option<u32>,
    attempts: Option<u32>,
}

impl EventFields {
    /// The item kind, or `None` for a kind this version does not know (skipped by the reader).
    pub(crate) fn into_kind(self) -> Result<Option<ItemKind>, LineError> {
        let kind = self.kind.ok_or(LineError::Missing("kind"))?;
        let nanos = |v: Option<u64>| Duration::from_nanos(v.unwrap_or(0));
        Ok(Some(match kind.as_str() {
            "connected" => ItemKind::Connected {
                url: self.url.unwrap_or_default(),
                attempt: self.attempt.unwrap_or(1),
            },
            "hello" => ItemKind::Hello {
                heartbeat_interval: nanos(self.heartbeat_interval_ns),
            },
            "identify" => ItemKind::Identifying {
                intents: self.intents.unwrap_or(0),
            },
            "resume" => ItemKind::Resuming {
                session_id: self.session_id.unwrap_or_default(),
                seq: self.seq,
            },
            "ready" => ItemKind::Ready {
                session_id: self.session_id.unwrap_or_default(),
                user_id: self.user_id.unwrap_or_default(),
                username: self.username.unwrap_or_default(),
                version: self.version,
            },
            "resumed" => ItemKind::Resumed {
                seq: self.seq,
                replayed: self.replayed.unwrap_or(0),
                recovered_in: self.recovered_in_ns.map(Duration::from_nanos),
            },
            "heartbeat" => ItemKind::HeartbeatSent { seq: self.seq },
            "heartbeat_ack" => ItemKind::HeartbeatAck {
                rtt: nanos(self.rtt_ns),
            },
            "reconnect" => ItemKind::ReconnectRequested,
            "invalid_session" => ItemKind::InvalidSession {
                resumable: self.resumable.unwrap_or(false),
                reason: self.reason.unwrap_or_default(),
            },
            "close" => {
                let origin = match self.origin.as_deref() {
                    Some(key) => CloseOrigin::from_key(key)
                        .ok_or_else(|| LineError::invalid("origin", key))?,
                    None => CloseOrigin::Server,
                };
                let reason = self.reason.unwrap_or_default();
                let cause = Cause::from_fields(
                    self.cause.as_deref(),
                    origin,
                    self.code,
                    &reason,
                    self.missed,
                    self.resumable,
                )
                .ok_or_else(|| LineError::invalid("cause", self.cause.as_deref().unwrap_or("")))?;
                ItemKind::Closed {
                    code: self.code,
                    reason,
                    origin,
                    action: match self.action.as_deref() {
                        None => CloseAction::Resume,
                        Some(key) => {
                            action_from_key(key).ok_or_else(|| LineError::invalid("action", key))?
                        }
                    },
                    cause,
                }
            }
            "identify_wait" => ItemKind::IdentifyWait {
                delay: nanos(self.delay_ns),
            },
            "backoff" => ItemKind::Backoff {
                delay: nanos(self.delay_ns),
                attempt: self.attempt.unwrap_or(1),
                resume: self.resume.unwrap_or(false),
            },
            "state" => {
                let state = |field: &'static str, name: Option<String>, attempt: u32| {
                    let name = name.unwrap_or_default();
                    ShardState::from_name(&name, attempt)
                        .ok_or_else(|| LineError::invalid(field, &name))
                };
                ItemKind::StateChange {
                    // The attempt count of a `from` state is not kept: it only matters for `to`.
                    from: state("from", self.from, 0)?,
                    to: state("to", self.to, self.attempt.unwrap_or(0))?,
                }
            }
            "gap" => match (self.after, self.next) {
                (Some(after), Some(next)) if next > after => ItemKind::Gap { after, next },
                _ => return Err(LineError::invalid("next", "a gap needs after < next")),
            },
            "lagged" => ItemKind::Lagged {
                dropped: self.dropped.unwrap_or(0),
            },
            "error" => ItemKind::Error {
                message: self.message.unwrap_or_default(),
            },
            "fatal" => ItemKind::Fatal {
                cause: FatalCause::from_fields(self.cause.as_deref(), self.code, self.attempts)
                    .ok_or_else(|| {
                        LineError::invalid("cause", self.cause.as_deref().unwrap_or(""))
                    })?,
                reason: self.reason.unwrap_or_default(),
                hint: self.hint,
                code: self.code,
            },
            _ => return Ok(None),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::redact::Redaction;

    #[test]
    fn every_action_key_parses_back() {
        for action in [
            CloseAction::Resume,
            CloseAction::BackoffThenResume,
            CloseAction::Identify,
            CloseAction::RefreshTokenThenIdentify,
            CloseAction::Fatal,
        ] {
            assert_eq!(action_from_key(action.key()), Some(action));
        }
        assert_eq!(action_from_key("explode"), None);
    }

    #[test]
    fn close_fields_and_unknown_kinds() {
        let redactor = Redactor::new(&Redaction::default());
        let mut out = String::from("{\"type\":\"event\"");
        write_fields(
            &mut out,
            &ItemKind::Closed {
                code: Some(4009),
                reason: "Session timed out".into(),
                origin: CloseOrigin::Server,
                action: CloseAction::Resume,
                cause: crate::gateway::Cause::Closed {
                    code: Some(4009),
                    reason: "Session timed out".into(),
                },
            },
            &redactor,
        );
        out.push('}');
        assert!(
            out.contains(r#""kind":"close","code":4009,"reason":"Session timed out""#),
            "{out}"
        );
        let fields: EventFields = serde_json::from_str(&out).unwrap();
        assert!(matches!(
            fields.into_kind().unwrap(),
            Some(ItemKind::Closed {
                code: Some(4009),
                ..
            })
        ));
        let fields: EventFields = serde_json::from_str(r#"{"kind":"teleported","x":1}"#).unwrap();
        assert!(fields.into_kind().unwrap().is_none());
        let fields: EventFields =
            serde_json::from_str(r#"{"kind":"close","origin":"aliens"}"#).unwrap();
        assert_eq!(
            fields.into_kind().unwrap_err().to_string(),
            "invalid `origin`: aliens"
        );
    }
}
