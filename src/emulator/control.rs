//! The control API under `/_emulator/` (no auth: a loopback tool for tests and the CLI).

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::http::{Trace, api_error, json_response, parse_object};
use super::records::{Fault, FaultTarget};
use super::state::Shared;

/// `POST /_emulator/dispatch` `{"t","d","session"?}` → `{"delivered":N}`.
pub(crate) async fn dispatch(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    body: Bytes,
) -> Response {
    let map = match parse_object(&body) {
        Ok(map) => map,
        Err(e) => return e.respond(&trace),
    };
    let Some(t) = map
        .get("t")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return api_error(400, 400, "`t` (event name) is required", &trace);
    };
    let d = map.get("d").cloned().unwrap_or_else(|| json!({}));
    let session = map.get("session").and_then(Value::as_str);
    let delivered = shared.deliver(t, &d, None, session);
    json_response(StatusCode::OK, &json!({"delivered": delivered}))
}

/// `POST /_emulator/fault` `{"kind","code"?,"reason"?,"session"?}` → `{"affected":N}`.
pub(crate) async fn fault(
    State(shared): State<Arc<Shared>>,
    Extension(trace): Extension<Trace>,
    body: Bytes,
) -> Response {
    let map = match parse_object(&body) {
        Ok(map) => map,
        Err(e) => return e.respond(&trace),
    };
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
    let code = map
        .get("code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok());
    let reason = map.get("reason").and_then(Value::as_str).map(str::to_owned);
    let Some(fault) = Fault::from_kind(kind, code, reason) else {
        let kinds = Fault::KINDS.join(", ");
        return api_error(400, 400, &format!("`kind` must be one of {kinds}"), &trace);
    };
    if let Fault::Close { code, .. } = fault
        && (!(1000..=4999).contains(&code) || matches!(code, 1004..=1006 | 1015))
    {
        return api_error(
            400,
            400,
            "`code` must be a sendable close code (1000-4999)",
            &trace,
        );
    }
    let target = match map.get("session").and_then(Value::as_str) {
        Some(id) => FaultTarget::Session(id.to_owned()),
        None => FaultTarget::All,
    };
    let affected = shared.fault(&target, &fault);
    json_response(StatusCode::OK, &json!({"affected": affected}))
}

/// `GET /_emulator/state`.
pub(crate) async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let body = json!({
        "scenario": shared.config.scenario.name(),
        "seed": shared.config.seed,
        "app_id": shared.config.app_id,
        "sessions": shared.sessions(),
        "session_start_limit": shared.session_start_limit(),
        "messages": shared.sent_messages(),
        "warnings": shared.warnings(),
        "tokens": shared.token_summary(),
        "webhook": shared.webhook.get().map(|tap| tap.status()),
    });
    json_response(StatusCode::OK, &body)
}
