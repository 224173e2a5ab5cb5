//! Token source against a local fake token endpoint: single-flight, refresh window, shapes of
//! `expires_in`, errors returned as HTTP 200.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::routing::post;
use qqbot::Secret;
use qqbot::http::{TokenError, TokenSource};
use serde_json::{Value, json};
use tokio::net::TcpListener;

struct Fake {
    url: String,
    hits: Arc<AtomicU64>,
    bodies: Arc<std::sync::Mutex<Vec<Value>>>,
}

/// Serve `respond(n)` for the n-th request (0-based) after a short delay.
async fn serve_fake(respond: fn(u64) -> Value) -> Fake {
    let hits = Arc::new(AtomicU64::new(0));
    let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (h, b) = (Arc::clone(&hits), Arc::clone(&bodies));
    let app = axum::Router::new().route(
        "/app/getAppAccessToken",
        post(move |Json(body): Json<Value>| {
            let n = h.fetch_add(1, Ordering::SeqCst);
            b.lock().unwrap().push(body);
            async move {
                // Keep the fetch in flight long enough for concurrent callers to pile up.
                tokio::task::yield_now().await;
                Json(respond(n))
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Fake {
        url: format!("http://{addr}/app/getAppAccessToken"),
        hits,
        bodies,
    }
}

fn source(url: &str) -> TokenSource {
    TokenSource::new(
        reqwest::Client::new(),
        url,
        "1024",
        Secret::new("s3cr3t-value"),
    )
}

#[tokio::test]
async fn token_single_flight_concurrent_callers_share_one_request() {
    let fake =
        serve_fake(|n| json!({"access_token": format!("tok-{n}"), "expires_in": "7200"})).await;
    let source = Arc::new(source(&fake.url));
    let calls = (0..16).map(|_| {
        let source = Arc::clone(&source);
        tokio::spawn(async move { source.token().await.unwrap().expose().to_owned() })
    });
    let tokens = futures_util::future::join_all(calls).await;
    assert!(
        tokens.iter().all(|t| t.as_ref().unwrap() == "tok-0"),
        "{tokens:?}"
    );
    assert_eq!(fake.hits.load(Ordering::SeqCst), 1);
    let body = fake.bodies.lock().unwrap()[0].clone();
    assert_eq!(
        body,
        json!({"appId": "1024", "clientSecret": "s3cr3t-value"})
    );
}

#[tokio::test]
async fn token_is_cached_then_refreshed_inside_the_last_60s() {
    let fake =
        serve_fake(|n| json!({"access_token": format!("tok-{n}"), "expires_in": "120"})).await;
    let source = source(&fake.url);
    assert_eq!(source.token().await.unwrap().expose(), "tok-0");
    assert_eq!(source.token().await.unwrap().expose(), "tok-0");
    assert_eq!(fake.hits.load(Ordering::SeqCst), 1);
    let ttl = source.time_to_live().unwrap();
    assert!(
        ttl > Duration::from_secs(110) && ttl <= Duration::from_secs(120),
        "{ttl:?}"
    );
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(59)).await;
    assert_eq!(
        source.token().await.unwrap().expose(),
        "tok-0",
        "61 s left: still cached"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(
        source.token().await.unwrap().expose(),
        "tok-1",
        "59 s left: refreshed"
    );
    assert_eq!(fake.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn token_expires_in_as_number_and_forced_refresh() {
    let fake =
        serve_fake(|n| json!({"access_token": format!("tok-{n}"), "expires_in": 7200})).await;
    let source = source(&fake.url);
    assert_eq!(source.token().await.unwrap().expose(), "tok-0");
    source.invalidate().await;
    assert_eq!(source.time_to_live(), None);
    assert_eq!(source.token().await.unwrap().expose(), "tok-1");
    assert_eq!(source.refresh().await.unwrap().expose(), "tok-2");
}

#[tokio::test]
async fn token_http_200_error_bodies_are_errors_without_the_secret() {
    let fake = serve_fake(|_| json!({"code": 100016, "message": "invalid appsecret"})).await;
    let err = source(&fake.url).token().await.unwrap_err();
    assert!(
        matches!(err, TokenError::Rejected { code: 100016, .. }),
        "{err:?}"
    );
    assert!(err.is_auth());
    let text = format!("{err} {err:?}");
    assert!(text.contains("invalid app secret"), "{text}");
    assert!(!text.contains("s3cr3t-value"), "{text}");

    let other = serve_fake(|_| json!({"code": 100007, "message": "appid invalid"})).await;
    let err = source(&other.url).token().await.unwrap_err();
    assert!(err.to_string().contains("appid invalid"), "{err}");
}

#[tokio::test]
async fn token_unreachable_endpoint_is_an_error_after_retries() {
    // Bind and drop to get a port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let source = source(&format!("http://127.0.0.1:{port}/app/getAppAccessToken"));
    tokio::time::pause(); // the jittered retry delays cost nothing
    let err = source.token().await.unwrap_err();
    assert!(matches!(err, TokenError::Unreachable(_)), "{err:?}");
    assert_eq!(source.fetch_count(), 3);
}

/// `/gateway/bot` through the OpenAPI client: a refused cached token is refreshed once, a second
/// refusal is an authentication error (CLI exit 4) whose text names the endpoint and the code and
/// never a token.
#[tokio::test]
async fn gateway_bot_refusal_refreshes_the_token_once_then_is_an_auth_error() {
    use axum::http::StatusCode;
    use axum::routing::get;
    use qqbot::gateway::{Cluster, GatewayConfig, StartError};

    let tokens = Arc::new(AtomicU64::new(0));
    let calls = Arc::new(AtomicU64::new(0));
    let (t, c) = (Arc::clone(&tokens), Arc::clone(&calls));
    let app =
        axum::Router::new()
            .route(
                "/app/getAppAccessToken",
                post(move || {
                    let n = t.fetch_add(1, Ordering::SeqCst);
                    async move {
                        Json(json!({"access_token": format!("tok-{n}"), "expires_in": "7200"}))
                    }
                }),
            )
            .route(
                "/gateway/bot",
                get(move || {
                    c.fetch_add(1, Ordering::SeqCst);
                    async {
                        (
                            StatusCode::UNAUTHORIZED,
                            Json(json!({"code": 11244, "message": "token not exist"})),
                        )
                    }
                }),
            );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = GatewayConfig::new(
        "1024",
        Secret::new("s3cr3t-value"),
        format!("http://{addr}"),
        format!("http://{addr}/app/getAppAccessToken"),
    );
    let err = Cluster::start(config).await.unwrap_err();
    assert!(matches!(err, StartError::GatewayAuth(_)), "{err:?}");
    assert!(err.is_auth());
    assert_eq!(tokens.load(Ordering::SeqCst), 2, "one token, one refresh");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one call, one retry");
    let mut text = format!("{err:?}");
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        text.push_str(&format!(" / {e}"));
        source = e.source();
    }
    assert!(
        text.contains("/gateway/bot") && text.contains("11244"),
        "{text}"
    );
    assert!(!text.contains("tok-") && !text.contains("s3cr3t"), "{text}");
}
