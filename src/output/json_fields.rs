//! Writing `,"key":value` JSON fields into a line being built (NDJSON output and recordings).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

use crate::gateway::ItemKind;

/// Append `value` as a JSON string.
pub(crate) fn json_str(out: &mut String, value: &str) {
    // Event names and ids never need escaping: copy them as they are (what serde_json would
    // write too, since it escapes only `"`, `\\` and control characters).
    let plain = crate::jsonscan::next_special(value.as_bytes(), 0) == value.len();
    if plain {
        out.reserve(value.len() + 2);
        out.push('"');
        out.push_str(value);
        out.push('"');
        return;
    }
    // serde_json escapes exactly as JSON requires; writing to a String cannot fail.
    out.push_str(&serde_json::to_string(value).expect("strings serialise"));
}

/// `,"key":`.
fn key(out: &mut String, key: &str) {
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
}

/// `,"name":"value"`.
pub(crate) fn field_str(out: &mut String, name: &str, value: &str) {
    key(out, name);
    json_str(out, value);
}

/// `,"key":"value"` or `,"key":null`.
pub(crate) fn field_opt_str(out: &mut String, key: &str, value: Option<&str>) {
    match value {
        Some(v) => field_str(out, key, v),
        None => {
            let _ = write!(out, ",\"{key}\":null");
        }
    }
}

/// `,"key":value` for numbers and booleans.
pub(crate) fn field_num(out: &mut String, key: &str, value: impl std::fmt::Display) {
    let _ = write!(out, ",\"{key}\":{value}");
}

/// `,"key":value` or `,"key":null`.
pub(crate) fn field_opt_num(out: &mut String, key: &str, value: Option<impl std::fmt::Display>) {
    match value {
        Some(v) => field_num(out, key, v),
        None => {
            let _ = write!(out, ",\"{key}\":null");
        }
    }
}

/// `"cause"` (and `"missed"` for a zombie) of a close line: NDJSON and recordings alike.
pub(crate) fn close_cause_fields(out: &mut String, cause: &crate::gateway::Cause) {
    field_str(out, "cause", cause.key());
    if let Some(missed) = cause.missed() {
        field_num(out, "missed", missed);
    }
}

/// `"cause"` (and `"attempts"` when retries ran out) of a fatal line.
pub(crate) fn fatal_cause_fields(out: &mut String, cause: crate::gateway::FatalCause) {
    field_str(out, "cause", cause.key());
    if let Some(attempts) = cause.attempts() {
        field_num(out, "attempts", attempts);
    }
}

/// The fields of a state change: `from`, `to` and, for a shard waiting to reconnect, the
/// consecutive failed `attempt`s.
pub(crate) fn state_fields(
    out: &mut String,
    from: crate::gateway::ShardState,
    to: crate::gateway::ShardState,
) {
    field_str(out, "from", from.name());
    field_str(out, "to", to.name());
    if let crate::gateway::ShardState::Disconnected { attempt } = to {
        field_num(out, "attempt", attempt);
    }
}

/// How one lifecycle serialiser differs between outputs: NDJSON (milliseconds, text as it is,
/// closes explained) and recordings (integer nanoseconds so a replay prints exactly what the live
/// run printed, free text redacted, the bot's id and name pseudonymised).
pub(crate) trait LifecycleStyle {
    /// `,"<base>_ms":…` or `,"<base>_ns":…`. `fractional` asks for sub-millisecond precision
    /// where the unit is milliseconds (round trips, recovery times).
    fn duration(&self, out: &mut String, base: &str, d: Option<Duration>, fractional: bool);
    /// Free text (URLs, reasons, messages) as written.
    fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(s)
    }
    /// The bot's user id in READY.
    fn user_id<'a>(&self, id: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(id)
    }
    /// The bot's name in READY.
    fn username<'a>(&self, name: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(name)
    }
    /// Whether lines carry derived explanations: a close code's `meaning`, a gap's `missing`
    /// count.
    fn explains(&self) -> bool {
        false
    }
}

/// Append the fields of a lifecycle item (nothing for a dispatch): the one place that decides
/// which fields each kind of item has, for NDJSON output and recordings alike.
pub(crate) fn lifecycle_fields(out: &mut String, kind: &ItemKind, style: &impl LifecycleStyle) {
    match kind {
        ItemKind::Dispatch(_) => {}
        ItemKind::Connected { url, attempt } => {
            field_str(out, "url", &style.text(url));
            field_num(out, "attempt", attempt);
        }
        ItemKind::Hello { heartbeat_interval } => {
            style.duration(out, "heartbeat_interval", Some(*heartbeat_interval), false);
        }
        ItemKind::Identifying { intents } => field_num(out, "intents", intents),
        ItemKind::Resuming { session_id, seq } => {
            field_str(out, "session_id", &style.text(session_id));
            field_opt_num(out, "seq", *seq);
        }
        ItemKind::Ready {
            session_id,
            user_id,
            username,
            version,
        } => {
            field_str(out, "session_id", &style.text(session_id));
            field_str(out, "user_id", &style.user_id(user_id));
            field_str(out, "username", &style.username(username));
            if let Some(version) = version {
                field_num(out, "version", version);
            }
        }
        ItemKind::Resumed {
            seq,
            replayed,
            recovered_in,
        } => {
            field_opt_num(out, "seq", *seq);
            field_num(out, "replayed", replayed);
            style.duration(out, "recovered_in", *recovered_in, true);
        }
        ItemKind::HeartbeatSent { seq } => field_opt_num(out, "seq", *seq),
        ItemKind::HeartbeatAck { rtt } => style.duration(out, "rtt", Some(*rtt), true),
        ItemKind::ReconnectRequested => {}
        ItemKind::InvalidSession { resumable, reason } => {
            field_num(out, "resumable", resumable);
            field_str(out, "reason", &style.text(reason));
        }
        ItemKind::Closed {
            code,
            reason,
            origin,
            action,
            cause,
        } => {
            field_opt_num(out, "code", *code);
            field_str(out, "reason", &style.text(reason));
            field_str(out, "origin", origin.key());
            field_str(out, "action", action.key());
            close_cause_fields(out, cause);
            if let (Some(code), true) = (code, style.explains()) {
                field_str(out, "meaning", crate::protocol::close_info(*code).meaning);
            }
        }
        ItemKind::IdentifyWait { delay } => style.duration(out, "delay", Some(*delay), false),
        ItemKind::Backoff {
            delay,
            attempt,
            resume,
        } => {
            style.duration(out, "delay", Some(*delay), false);
            field_num(out, "attempt", attempt);
            field_num(out, "resume", resume);
        }
        ItemKind::Lagged { dropped } => field_num(out, "dropped", dropped),
        ItemKind::Gap { after, next } => {
            field_num(out, "after", after);
            field_num(out, "next", next);
            if style.explains() {
                field_num(out, "missing", next - after - 1);
            }
        }
        ItemKind::StateChange { from, to } => state_fields(out, *from, *to),
        ItemKind::Error { message } => field_str(out, "message", &style.text(message)),
        ItemKind::Fatal {
            reason,
            hint,
            code,
            cause,
        } => {
            field_str(out, "reason", &style.text(reason));
            field_opt_str(
                out,
                "hint",
                hint.as_deref().map(|h| style.text(h)).as_deref(),
            );
            field_opt_num(out, "code", *code);
            fatal_cause_fields(out, *cause);
        }
    }
}
