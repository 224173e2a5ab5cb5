//! Writing `,"key":value` JSON fields into a line being built (NDJSON output and recordings).

use std::fmt::Write as _;

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
