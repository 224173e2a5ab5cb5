//! The OpenAPI client against a scripted local HTTP server (real sockets on 127.0.0.1).

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use qqbot::Secret;
use qqbot::http::api::{FileType, MessageBody, UploadFile};
use qqbot::http::error::BoxError;
use qqbot::http::{Api, ApiErrorKind, SendOutcome, StaticToken, TokenProvider};
use qqbot::models::Timestamp;
use serde_json::{Value, json};

const APP_ID: &str = "102000000";
const TOKEN: &str = "tok-super-secret-1";

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: String,
}

/// One scripted response.
struct Scripted {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: String,
}

fn reply(status: u16, body: Value) -> Scripted {
    Scripted {
        status,
        headers: vec![("content-type", "application/json")],
        body: body.to_string(),
    }
}

#[derive(Default)]
struct Script {
    responses: Mutex<VecDeque<Scripted>>,
    seen: Mutex<Vec<Seen>>,
}

async fn handle(
    State(script): State<Arc<Script>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    script.seen.lock().unwrap().push(Seen {
        method,
        path: uri.to_string(),
        headers,
        body,
    });
    let Some(next) = script.responses.lock().unwrap().pop_front() else {
        return (StatusCode::IM_A_TEAPOT, "unscripted request").into_response();
    };
    let mut response = (StatusCode::from_u16(next.status).unwrap(), next.body).into_response();
    for (name, value) in next.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// Start a server that answers with `responses` in order; returns its base URL and the script.
async fn serve(responses: Vec<Scripted>) -> (String, Arc<Script>) {
    let script = Arc::new(Script {
        responses: Mutex::new(responses.into()),
        seen: Mutex::default(),
    });
    let app = Router::new().fallback(handle).with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), script)
}

fn seen(script: &Script) -> Vec<Seen> {
    script.seen.lock().unwrap().clone()
}

async fn bounded<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("call finished within 10 s")
}

fn api(base: &str) -> Api {
    Api::new(base.to_owned(), APP_ID.to_owned(), StaticToken::new(TOKEN))
}

/// Hands out `tok-1`, `tok-2`, ... : a new token after each invalidation.
#[derive(Default)]
struct RotatingToken {
    generation: AtomicUsize,
    fetches: AtomicUsize,
    invalidations: AtomicUsize,
}

impl TokenProvider for RotatingToken {
    async fn token(&self) -> Result<Secret, BoxError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let generation = self.generation.load(Ordering::SeqCst) + 1;
        Ok(Secret::new(format!("tok-{generation}")))
    }

    async fn invalidate(&self) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn group_send_sets_headers_omits_nulls_and_reads_response() {
    let (base, script) = serve(vec![reply(
        200,
        json!({"id":"ROBOT1.0_Zreb!!","timestamp":"2026-02-01T16:28:12+08:00","ext_info":{"ref_idx":"REFIDX_COG2AhCcnfzLBhjd7Oa+Dg=="}}),
    )])
    .await;
    let body = MessageBody::text("pong").reply_to("ROBOT1.0_in!", 1);
    let outcome = bounded(api(&base).post_group_message("82B3406CB35C23E1071C8D6EC61C6064", &body))
        .await
        .unwrap();
    let SendOutcome::Sent(sent) = outcome else {
        panic!("not sent: {outcome:?}")
    };
    assert_eq!(sent.id, "ROBOT1.0_Zreb!!");
    assert_eq!(sent.ref_idx(), Some("REFIDX_COG2AhCcnfzLBhjd7Oa+Dg=="));
    assert_eq!(
        sent.timestamp,
        Timestamp::parse("2026-02-01T16:28:12+08:00")
    );

    let requests = seen(&script);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, Method::POST);
    assert_eq!(
        request.path,
        "/v2/groups/82B3406CB35C23E1071C8D6EC61C6064/messages"
    );
    assert_eq!(
        request.headers["authorization"],
        format!("QQBot {TOKEN}").as_str()
    );
    assert_eq!(request.headers["x-union-appid"], APP_ID);
    assert_eq!(request.headers["content-type"], "application/json");
    let sent_body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        sent_body,
        json!({"content":"pong","msg_type":0,"msg_id":"ROBOT1.0_in!","msg_seq":1})
    );
    assert!(!request.body.contains("null"), "{}", request.body);
}

#[tokio::test]
async fn explicit_json_nulls_are_omitted_too() {
    let (base, script) = serve(vec![reply(200, json!({"id":"x","timestamp":1699240248}))]).await;
    let body = MessageBody {
        content: Some("hi".into()),
        msg_type: None,
        markdown: Some(Value::Null),
        keyboard: Some(Value::Null),
        ..MessageBody::default()
    };
    let sent = bounded(api(&base).post_c2c_message("E4F4", &body))
        .await
        .unwrap()
        .sent()
        .unwrap();
    assert_eq!(
        sent.timestamp.unwrap().unix(),
        1_699_240_248,
        "int timestamp"
    );
    let request = &seen(&script)[0];
    assert_eq!(request.path, "/v2/users/E4F4/messages");
    assert_eq!(request.body, r#"{"content":"hi"}"#);
}

#[tokio::test]
async fn dedup_error_keeps_status_codes_message_and_trace_id() {
    let mut scripted = reply(
        400,
        json!({"message":"消息被去重，请检查请求msgseq","code":40054005,"err_code":40054005,"trace_id":"body-trace"}),
    );
    scripted.headers.push(("X-Tps-Trace-Id", "hdr-trace-7f3a"));
    let (base, _script) = serve(vec![scripted]).await;
    let body = MessageBody::text("pong").reply_to("m", 1);
    let err = bounded(api(&base).post_group_message("G", &body))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Rejected);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some(40054005));
    assert_eq!(err.err_code(), Some(40054005));
    assert_eq!(err.message(), Some("消息被去重，请检查请求msgseq"));
    assert_eq!(
        err.trace_id(),
        Some("hdr-trace-7f3a"),
        "the header wins, case-insensitively"
    );
    assert!(err.hint().unwrap().contains("msg_seq"), "{:?}", err.hint());
    let shown = err.to_string();
    assert_eq!(
        shown,
        "POST /v2/groups/G/messages: refused (HTTP 400, code 40054005): 消息被去重，请检查请求msgseq [trace hdr-trace-7f3a]"
    );
    let debug = format!("{err:?}");
    assert!(!shown.contains(TOKEN) && !debug.contains(TOKEN), "{debug}");
}

#[tokio::test]
async fn trace_id_falls_back_to_body_and_codes_that_differ_are_both_shown() {
    let (base, _script) = serve(vec![reply(
        401,
        json!({"message":"接口访问源IP不在白名单","code":11298,"err_code":40023002,"trace_id":"bd5d73e4"}),
    ), reply(
        401,
        json!({"message":"接口访问源IP不在白名单","code":11298,"err_code":40023002,"trace_id":"bd5d73e4"}),
    )])
    .await;
    let err = bounded(api(&base).me()).await.unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Unauthorized);
    assert_eq!(err.trace_id(), Some("bd5d73e4"));
    assert!(err.hint().unwrap().contains("whitelist"));
    let shown = err.to_string();
    assert!(shown.contains("code 11298, err_code 40023002"), "{shown}");
    assert!(
        shown.starts_with("GET /users/@me: unauthorized (HTTP 401"),
        "{shown}"
    );
    assert!(!shown.contains('\n'));
}

#[tokio::test]
async fn expired_token_is_refreshed_once_and_the_call_retried() {
    let (base, script) = serve(vec![
        reply(
            401,
            json!({"message":"token expired","code":11244,"err_code":11244,"trace_id":"t1"}),
        ),
        reply(
            200,
            json!({"id":"ROBOT1.0_ok!","timestamp":"2026-02-01T16:28:12+08:00"}),
        ),
    ])
    .await;
    let tokens = Arc::new(RotatingToken::default());
    let api = Api::new(base, APP_ID, tokens.clone());
    let sent = bounded(api.post_c2c_message("U", &MessageBody::text("x")))
        .await
        .unwrap();
    assert_eq!(sent.sent().unwrap().id, "ROBOT1.0_ok!");
    let requests = seen(&script);
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].headers["authorization"], "QQBot tok-1");
    assert_eq!(requests[1].headers["authorization"], "QQBot tok-2");
    assert_eq!(requests[0].body, requests[1].body, "same body retried");
    assert_eq!(tokens.invalidations.load(Ordering::SeqCst), 1);
    assert_eq!(tokens.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn code_11244_on_another_status_also_refreshes() {
    let (base, script) = serve(vec![
        reply(400, json!({"message":"token invalid","code":11244})),
        reply(200, json!({"id":"1","username":"bot","bot":true})),
    ])
    .await;
    let tokens = Arc::new(RotatingToken::default());
    let me = bounded(Api::new(base, APP_ID, tokens.clone()).me())
        .await
        .unwrap();
    assert_eq!(
        (me.id.as_str(), me.username.as_str(), me.bot),
        ("1", "bot", true)
    );
    assert_eq!(seen(&script).len(), 2);
    assert_eq!(tokens.invalidations.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn refresh_and_retry_happen_only_once() {
    let refused = || reply(401, json!({"message":"token expired","code":11244}));
    let (base, script) = serve(vec![refused(), refused(), refused()]).await;
    let tokens = Arc::new(RotatingToken::default());
    let err = bounded(Api::new(base, APP_ID, tokens.clone()).gateway_bot())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Unauthorized);
    assert_eq!(err.code(), Some(11244));
    assert_eq!(seen(&script).len(), 2, "one retry, no more");
    assert_eq!(tokens.invalidations.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn http_202_with_audit_id_is_queued_for_audit() {
    let (base, script) = serve(vec![
        reply(
            202,
            json!({"code":304023,"message":"push message is waiting for audit now","data":{"message_audit":{"audit_id":"AUD-1"}}}),
        ),
        reply(
            202,
            json!({"code":304024,"message":"reply is waiting for audit","err_code":304024,"data":{"message_audit":{"audit_id":"AUD-2"}}}),
        ),
    ])
    .await;
    let api = api(&base);
    let outcome = bounded(api.post_channel_message("100010", &MessageBody::text("hi")))
        .await
        .unwrap();
    assert_eq!(outcome.audit_id(), Some("AUD-1"));
    assert!(matches!(outcome, SendOutcome::QueuedForAudit { .. }));
    let outcome = bounded(api.post_group_message("G", &MessageBody::text("hi").reply_to("m", 1)))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        SendOutcome::QueuedForAudit {
            audit_id: "AUD-2".into()
        }
    );
    assert_eq!(seen(&script)[0].path, "/channels/100010/messages");
}

#[tokio::test]
async fn http_202_error_body_without_audit_is_an_error() {
    let (base, _script) = serve(vec![reply(
        202,
        json!({"code":304018,"message":"session not exist"}),
    )])
    .await;
    let err = bounded(api(&base).post_channel_message("c", &MessageBody::text("hi")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Rejected);
    assert_eq!((err.status(), err.code()), (Some(202), Some(304018)));
    assert!(err.hint().unwrap().contains("gateway"));
}

#[tokio::test]
async fn http_429_is_rate_limited_with_a_wait_hint() {
    let mut limited = reply(429, json!({"message":"too many requests","code":22009}));
    limited.headers.push(("retry-after", "3"));
    let (base, _script) = serve(vec![
        limited,
        reply(429, json!({"message":"too many requests"})),
        reply(400, json!({"message":"channel limit","code":20028})),
        reply(400, json!({"message":"quota","code":304045})),
        reply(400, json!({"message":"主动消息超限","code":40034100})),
    ])
    .await;
    let api = api(&base);
    let body = MessageBody::text("x");
    let err = bounded(api.post_group_message("G", &body))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::RateLimited);
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    assert!(err.to_string().contains("retry after 3s"), "{err}");

    let err = bounded(api.post_group_message("G", &body))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::RateLimited);
    assert_eq!(
        err.retry_after(),
        Some(Duration::from_secs(1)),
        "default wait"
    );
    assert!(err.hint().is_some());

    let err = bounded(api.post_channel_message("c", &body))
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ApiErrorKind::RateLimited, Some(20028))
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));

    for code in [304045, 40034100] {
        let err = bounded(api.post_channel_message("c", &body))
            .await
            .unwrap_err();
        assert_eq!(
            (err.kind(), err.code()),
            (ApiErrorKind::RateLimited, Some(code))
        );
        assert_eq!(
            err.retry_after(),
            None,
            "a daily quota: waiting seconds does not help"
        );
        assert!(err.hint().unwrap().contains("reply"), "{:?}", err.hint());
    }
}

#[tokio::test]
async fn channel_send_returns_the_message() {
    let (base, script) = serve(vec![reply(
        200,
        json!({"id":"08aa","channel_id":"100010","guild_id":"1870","content":"pong","timestamp":"2021-05-20T15:14:58+08:00","tts":false,"mention_everyone":false,"author":{"id":"615","username":"testbot","bot":true},"pinned":false,"type":0,"flags":0,"seq_in_channel":"102"}),
    )])
    .await;
    let body = MessageBody {
        content: Some("pong".into()),
        msg_id: Some("08cac39b".into()),
        ..MessageBody::default()
    };
    let message = bounded(api(&base).post_channel_message("100010", &body))
        .await
        .unwrap()
        .sent()
        .unwrap();
    assert_eq!(message.id, "08aa");
    assert!(message.author.bot);
    assert_eq!(message.seq_in_channel.as_deref(), Some("102"));
    assert_eq!(
        seen(&script)[0].body,
        r#"{"content":"pong","msg_id":"08cac39b"}"#
    );
}

#[tokio::test]
async fn dm_create_upload_ack_guilds() {
    let (base, script) = serve(vec![
        reply(200, json!({"guild_id":"dm-g","channel_id":"dm-c","create_time":"1642545606"})),
        reply(200, json!({"file_uuid":"u1","file_info":"FI==","ttl":0})),
        reply(200, json!({"file_uuid":"u2","file_info":"FJ==","ttl":3600,"id":"ROBOT1.0_m!"})),
        Scripted { status: 200, headers: vec![], body: String::new() },
        reply(200, json!([{"id":"g1","name":"one","owner":true,"member_count":3}])),
        reply(200, json!({"url":"wss://api.sgroup.qq.com/websocket","shards":1,"session_start_limit":{"total":1000,"remaining":999,"reset_after":86400000,"max_concurrency":1}})),
    ])
    .await;
    let api = api(&base);
    let dm = bounded(api.create_dm("1234", "1870")).await.unwrap();
    assert_eq!(
        (dm.guild_id.as_str(), dm.channel_id.as_str()),
        ("dm-g", "dm-c")
    );
    assert_eq!(dm.create_time.unwrap().unix(), 1_642_545_606);

    let file = UploadFile {
        file_type: FileType::Image,
        url: "https://x.invalid/a.png".into(),
        srv_send_msg: false,
    };
    let uploaded = bounded(api.upload_group_file("G", &file)).await.unwrap();
    assert_eq!(
        (uploaded.file_info.as_str(), uploaded.ttl, uploaded.id),
        ("FI==", Some(0), None)
    );
    let file = UploadFile {
        file_type: FileType::Video,
        srv_send_msg: true,
        ..file
    };
    let uploaded = bounded(api.upload_c2c_file("U", &file)).await.unwrap();
    assert_eq!(uploaded.id.as_deref(), Some("ROBOT1.0_m!"));

    bounded(api.ack_interaction("30540ff7-9d8f", 0))
        .await
        .unwrap();
    let guilds = bounded(api.guilds()).await.unwrap();
    assert_eq!((guilds.len(), guilds[0].member_count), (1, Some(3)));
    let gateway = bounded(api.gateway_bot()).await.unwrap();
    assert_eq!(gateway.shards, 1);
    assert_eq!(gateway.session_start_limit.max_concurrency, 1);

    let requests = seen(&script);
    let summary: Vec<(String, String)> = requests
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("POST", "/users/@me/dms"),
            ("POST", "/v2/groups/G/files"),
            ("POST", "/v2/users/U/files"),
            ("PUT", "/interactions/30540ff7-9d8f"),
            ("GET", "/users/@me/guilds?limit=100"),
            ("GET", "/gateway/bot"),
        ]
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
    );
    assert_eq!(
        requests[0].body,
        r#"{"recipient_id":"1234","source_guild_id":"1870"}"#
    );
    assert_eq!(
        requests[1].body,
        r#"{"file_type":1,"url":"https://x.invalid/a.png","srv_send_msg":false}"#
    );
    assert_eq!(
        requests[2].body,
        r#"{"file_type":2,"url":"https://x.invalid/a.png","srv_send_msg":true}"#
    );
    assert_eq!(requests[3].body, r#"{"code":0}"#);
    assert!(
        requests[4].headers.get("content-type").is_none(),
        "GET has no body"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.headers["x-union-appid"] == APP_ID)
    );
}

#[tokio::test]
async fn unexpected_body_is_a_decode_error() {
    let (base, _script) = serve(vec![Scripted {
        status: 200,
        headers: vec![("x-tps-trace-id", "tr-9")],
        body: "<html>gateway timeout</html>".into(),
    }])
    .await;
    let err = bounded(api(&base).me()).await.unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Decode);
    assert_eq!(err.trace_id(), Some("tr-9"));
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(
        err.to_string(),
        "GET /users/@me: unexpected response body (HTTP 200) [trace tr-9]"
    );
}

#[tokio::test]
async fn server_errors_are_server_kind() {
    let (base, _script) = serve(vec![reply(500, json!({"message":"internal","code":500}))]).await;
    let err = bounded(api(&base).me()).await.unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Server);
}

struct BrokenToken;

impl TokenProvider for BrokenToken {
    async fn token(&self) -> Result<Secret, BoxError> {
        Err("token endpoint said: appid invalid".into())
    }

    async fn invalidate(&self) {}
}

#[tokio::test]
async fn token_and_transport_failures_have_their_own_kinds() {
    let (base, script) = serve(vec![]).await;
    let err = bounded(Api::new(base, APP_ID, BrokenToken).me())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Token);
    assert_eq!(
        err.to_string(),
        "GET /users/@me: could not get an access token"
    );
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert_eq!(
        source, "token endpoint said: appid invalid",
        "one layer each"
    );
    assert!(seen(&script).is_empty(), "no request without a token");

    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = bounded(api(&closed).me()).await.unwrap_err();
    assert_eq!(err.kind(), ApiErrorKind::Transport);
    assert_eq!(err.to_string(), "GET /users/@me: request failed");
    assert!(!format!("{err:?}").contains(TOKEN));
}

#[test]
fn api_debug_never_shows_the_token() {
    let api = Api::new("http://127.0.0.1:9/", APP_ID, StaticToken::new(TOKEN));
    let shown = format!("{api:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains(APP_ID));
    assert_eq!(api.api_base(), "http://127.0.0.1:9");
}
