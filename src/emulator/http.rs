//! The HTTP side: router, response headers, error bodies, auth, token endpoint, `/gateway`,
//! `/gateway/bot` and the `/users/@me` routes. The send and recall routes are in `openapi.rs`,
//! the guild read routes (guild, channels, member, message by id) in `guilds.rs`.
//!
//! Every response carries `Content-Type: application/json` exactly (botpy compares it with `==`)
//! and a fresh `X-Tps-trace-ID`. Bodies are parsed by hand, never by axum's `Json` extractor, so
//! a malformed body always gets a JSON error instead of a text/plain rejection.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, Request, State, WebSocketUpgrade};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::generate::{AVATAR, BOT_USER_ID, BOT_USERNAME};
use super::passive::Refusal;
use super::state::{Shared, lock};
use super::{control, gateway, guilds, openapi};

/// The trace id of the current request (also sent as `X-Tps-trace-ID`).
#[derive(Debug, Clone)]
pub(crate) struct Trace(pub String);

/// The header carrying the trace id (HTTP header names are case-insensitive; botpy reads
/// `X-Tps-trace-Id`).
pub const TRACE_HEADER: &str = "x-tps-trace-id";

/// Build the router for every route the emulator serves.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/app/getAppAccessToken", post(get_app_access_token))
        .route("/gateway", get(gateway_url))
        .route("/gateway/bot", get(gateway_bot))
        .route("/users/@me", get(users_me))
        .route("/users/@me/guilds", get(users_me_guilds))
        .route("/users/@me/dms", post(openapi::create_dm))
        .route(
            "/channels/{channel_id}/messages",
            post(openapi::send_channel),
        )
        .route("/dms/{guild_id}/messages", post(openapi::send_dm))
        .route(
            "/v2/groups/{group_openid}/messages",
            post(openapi::send_group),
        )
        .route("/v2/users/{openid}/messages", post(openapi::send_c2c))
        .route(
            "/channels/{channel_id}/messages/{message_id}",
            delete(openapi::recall_channel).get(guilds::get_message),
        )
        .route("/channels/{channel_id}", get(guilds::get_channel))
        .route("/guilds/{guild_id}", get(guilds::get_guild))
        .route(
            "/guilds/{guild_id}/channels",
            get(guilds::get_guild_channels),
        )
        .route(
            "/guilds/{guild_id}/members/{user_id}",
            get(guilds::get_guild_member),
        )
        .route(
            "/dms/{guild_id}/messages/{message_id}",
            delete(openapi::recall_dm),
        )
        .route(
            "/v2/groups/{group_openid}/messages/{message_id}",
            delete(openapi::recall_group),
        )
        .route(
            "/v2/users/{openid}/messages/{message_id}",
            delete(openapi::recall_c2c),
        )
        .route(
            "/v2/groups/{group_openid}/files",
            post(openapi::upload_group_file),
        )
        .route("/v2/users/{openid}/files", post(openapi::upload_c2c_file))
        .route(
            "/interactions/{interaction_id}",
            put(openapi::ack_interaction),
        )
        .route("/websocket", get(websocket))
        .route("/websocket/", get(websocket))
        .route("/_emulator/dispatch", post(control::dispatch))
        .route("/_emulator/fault", post(control::fault))
        .route("/_emulator/state", get(control::state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(platform_headers))
        .with_state(shared)
}

async fn platform_headers(mut req: Request, next: Next) -> Response {
    let trace = uuid::Uuid::new_v4().simple().to_string();
    req.extensions_mut().insert(Trace(trace.clone()));
    let mut res = next.run(req).await;
    if res.status() != StatusCode::SWITCHING_PROTOCOLS {
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    if let Ok(value) = HeaderValue::from_str(&trace) {
        res.headers_mut()
            .insert(HeaderName::from_static(TRACE_HEADER), value);
    }
    res
}

/// A JSON response with this status.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut res = Response::new(Body::from(body.to_string()));
    *res.status_mut() = status;
    res
}

/// A 200 with an empty body (interaction acks).
pub(crate) fn empty_ok() -> Response {
    Response::new(Body::empty())
}

/// The platform error body `{message, code, err_code, trace_id}`.
pub(crate) fn api_error(status: u16, code: u64, message: &str, trace: &Trace) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(
        status,
        &json!({"message": message, "code": code, "err_code": code, "trace_id": trace.0}),
    )
}

/// A refused request: HTTP status, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiFailure {
    pub status: u16,
    pub code: u64,
    pub message: String,
}

impl ApiFailure {
    pub fn new(status: u16, code: u64, message: impl Into<String>) -> ApiFailure {
        ApiFailure {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn respond(&self, trace: &Trace) -> Response {
        api_error(self.status, self.code, &self.message, trace)
    }
}

impl From<Refusal> for ApiFailure {
    fn from(r: Refusal) -> ApiFailure {
        ApiFailure::new(r.status, r.code, r.message)
    }
}

/// Check `Authorization: QQBot <token>`.
pub(crate) fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiFailure> {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match value {
        None | Some("") => Err(ApiFailure::new(401, 11241, "token missing")),
        Some(v) => {
            if let Some(token) = v.strip_prefix("QQBot ") {
                if shared.token_live(token.trim()) {
                    return Ok(());
                }
                return Err(ApiFailure::new(401, 11244, "token not exist or expire"));
            }
            if v.starts_with("Bot ") {
                return Err(ApiFailure::new(
                    401,
                    11245,
                    "固定Token已禁用，请使用AccessToken鉴权",
                ));
            }
            Err(ApiFailure::new(401, 11244, "token not exist or expire"))
        }
    }
}

/// Parse a JSON object body. An empty body is an empty object; `null` fields are dropped.
pub(crate) fn parse_object(body: &Bytes) -> Result<Map<String, Value>, ApiFailure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut map)) => {
            map.retain(|_, v| !v.is_null());
            Ok(map)
        }
        Ok(_) => Err(ApiFailure::new(
            400,
            40034001,
            "request body must be a JSON object",
        )),
        Err(e) => Err(ApiFailure::new(
            400,
            40034001,
            format!("request body is not valid JSON: {e}"),
        )),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

async fn get_app_access_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token_error = |code: u64, message: &str| {
        json_response(StatusCode::OK, &json!({"code": code, "message": message}))
    };
    if !is_json(&headers) {
        return token_error(100007, "appid invalid");
    }
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) else {
        return token_error(100007, "appid invalid");
    };
    let config = &shared.config;
    let known = |id: &str| id == config.app_id || config.also_accept.iter().any(|(a, _)| a == id);
    let app_id = match map.get("appId") {
        Some(Value::String(id)) if known(id) => id,
        Some(Value::Number(_)) => return token_error(100002, "internal err"),
        _ => return token_error(100007, "appid invalid"),
    };
    let pair_ok = |secret: &str| {
        (*app_id == config.app_id
            && secret == config.secret.expose()
            && !shared
                .secret_revoked
                .load(std::sync::atomic::Ordering::SeqCst))
            || config
                .also_accept
                .iter()
                .any(|(a, s)| a == app_id && secret == s.expose())
    };
    match map.get("clientSecret") {
        Some(Value::String(secret)) if pair_ok(secret) => {}
        _ => return token_error(100016, "invalid appsecret"),
    }
    let (token, remaining) = lock(&shared.tokens).issue(Instant::now());
    json_response(
        StatusCode::OK,
        &json!({"access_token": token.expose(), "expires_in": remaining.to_string()}),
    )
}

/// The gateway URL handed out: [`EmulatorConfig::gateway_url`](super::EmulatorConfig) when
/// set, else `ws://HOST:PORT/websocket`.
pub(crate) fn ws_url(shared: &Shared) -> String {
    match &shared.config.gateway_url {
        Some(url) => url.clone(),
        None => format!("ws://{}/websocket", shared.addr),
    }
}

async fn gateway_url(
    State(shared): State<Arc<Shared>>,
    axum::Extension(trace): axum::Extension<Trace>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = authorize(&shared, &headers) {
        return e.respond(&trace);
    }
    json_response(StatusCode::OK, &json!({"url": ws_url(&shared)}))
}

async fn gateway_bot(
    State(shared): State<Arc<Shared>>,
    axum::Extension(trace): axum::Extension<Trace>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = authorize(&shared, &headers) {
        return e.respond(&trace);
    }
    json_response(
        StatusCode::OK,
        &json!({
            "url": ws_url(&shared),
            "shards": shared.config.shards,
            "session_start_limit": shared.session_start_limit(),
        }),
    )
}

async fn users_me(
    State(shared): State<Arc<Shared>>,
    axum::Extension(trace): axum::Extension<Trace>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = authorize(&shared, &headers) {
        return e.respond(&trace);
    }
    json_response(
        StatusCode::OK,
        &json!({
            "id": BOT_USER_ID,
            "username": BOT_USERNAME,
            "avatar": AVATAR,
            "union_openid": format!("{:032X}", super::routing::fnv1a(shared.config.app_id.as_bytes())),
            "union_user_account": "",
            "bot": true,
        }),
    )
}

async fn users_me_guilds(
    State(shared): State<Arc<Shared>>,
    axum::Extension(trace): axum::Extension<Trace>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(e) = authorize(&shared, &headers) {
        return e.respond(&trace);
    }
    let query = query.map(|q| q.0).unwrap_or_default();
    let limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    let mut guilds: Vec<_> = shared.world.guilds.iter().collect();
    guilds.sort_by_key(|g| g.id.parse::<u64>().unwrap_or(0));
    let id_of = |s: &str| s.parse::<u64>().unwrap_or(0);
    let selected: Vec<_> = if let Some(before) = query.get("before") {
        let before = id_of(before);
        let mut v: Vec<_> = guilds
            .into_iter()
            .filter(|g| id_of(&g.id) < before)
            .collect();
        v.reverse();
        v.into_iter().take(limit).collect()
    } else if let Some(after) = query.get("after") {
        let after = id_of(after);
        guilds
            .into_iter()
            .filter(|g| id_of(&g.id) > after)
            .take(limit)
            .collect()
    } else {
        guilds.into_iter().take(limit).collect()
    };
    let body: Vec<Value> = selected.into_iter().map(guilds::guild_json).collect();
    json_response(StatusCode::OK, &Value::Array(body))
}

async fn websocket(
    State(shared): State<Arc<Shared>>,
    axum::Extension(trace): axum::Extension<Trace>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match upgrade {
        Ok(ws) => ws.on_upgrade(move |socket| gateway::serve(shared, socket)),
        Err(rejection) => api_error(400, 400, &rejection.body_text(), &trace),
    }
}

async fn not_found(axum::Extension(trace): axum::Extension<Trace>) -> Response {
    api_error(404, 404, "no such API (qqbot emulator)", &trace)
}

async fn method_not_allowed(axum::Extension(trace): axum::Extension<Trace>) -> Response {
    api_error(405, 405, "method not allowed", &trace)
}
