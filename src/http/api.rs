//! The OpenAPI client: send messages, upload media, acknowledge interactions, read the bot's
//! identity (PROTOCOL.md §8).
//!
//! Every request carries `Authorization: QQBot <token>` and `X-Union-Appid: <app id>`; bodies are
//! JSON with unset optional fields omitted (never `null`). A 401 or code 11244 invalidates the token,
//! fetches a fresh one and retries once. HTTP 202 with `data.message_audit.audit_id` is neither a
//! success nor an error: it is [`SendOutcome::QueuedForAudit`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ApiError, BoxError, PlatformDetails};
use super::token::TokenSource;
pub use super::types::{
    DmSession, ExtInfo, FileType, GatewayBot, Media, MessageBody, MsgType, SendOutcome,
    SentMessage, SessionStartLimit, UploadFile, UploadedFile,
};
use crate::Secret;
use crate::models::de;
use crate::models::{Guild, Message, User};

pub use crate::endpoints::{API_BASE, Environment, SANDBOX_API_BASE};

/// Per-request timeout of the default HTTP client.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A source of access tokens. Implement it with `async fn`s.
///
/// `token` returns a currently valid token (cached or freshly fetched); `invalidate` tells the
/// source the last token was refused, so the next `token` call must fetch a new one.
pub trait TokenProvider: Send + Sync + 'static {
    /// A valid access token.
    fn token(&self) -> impl Future<Output = Result<Secret, BoxError>> + Send;
    /// Forget the cached token (it was refused).
    fn invalidate(&self) -> impl Future<Output = ()> + Send;
}

impl<T: TokenProvider> TokenProvider for Arc<T> {
    fn token(&self) -> impl Future<Output = Result<Secret, BoxError>> + Send {
        T::token(self)
    }

    fn invalidate(&self) -> impl Future<Output = ()> + Send {
        T::invalidate(self)
    }
}

/// The gateway's single-flight token source serves the API client too.
impl TokenProvider for TokenSource {
    async fn token(&self) -> Result<Secret, BoxError> {
        TokenSource::token(self).await.map_err(BoxError::from)
    }

    async fn invalidate(&self) {
        TokenSource::invalidate(self).await
    }
}

/// A fixed token (tests, or a token managed elsewhere). `invalidate` does nothing.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// Wrap a token.
    pub fn new(token: impl Into<Secret>) -> StaticToken {
        StaticToken(token.into())
    }
}

impl TokenProvider for StaticToken {
    async fn token(&self) -> Result<Secret, BoxError> {
        Ok(self.0.clone())
    }

    async fn invalidate(&self) {}
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Object-safe form of [`TokenProvider`], so [`Api`] is not generic.
trait DynTokenProvider: Send + Sync {
    fn token(&self) -> BoxFuture<'_, Result<Secret, BoxError>>;
    fn invalidate(&self) -> BoxFuture<'_, ()>;
}

impl<T: TokenProvider> DynTokenProvider for T {
    fn token(&self) -> BoxFuture<'_, Result<Secret, BoxError>> {
        Box::pin(TokenProvider::token(self))
    }

    fn invalidate(&self) -> BoxFuture<'_, ()> {
        Box::pin(TokenProvider::invalidate(self))
    }
}

/// The error-shaped parts of any response body.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorBody {
    #[serde(deserialize_with = "de::opt_int")]
    code: Option<u64>,
    #[serde(deserialize_with = "de::opt_int")]
    err_code: Option<u64>,
    #[serde(deserialize_with = "de::opt_string")]
    message: Option<String>,
    #[serde(deserialize_with = "de::opt_string")]
    trace_id: Option<String>,
    #[serde(deserialize_with = "de::or_default")]
    data: Option<ErrorData>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorData {
    #[serde(deserialize_with = "de::or_default")]
    message_audit: Option<AuditRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AuditRef {
    #[serde(deserialize_with = "de::string")]
    audit_id: String,
}

/// A response, read in full.
struct Reply {
    endpoint: String,
    status: StatusCode,
    trace_id: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
    error: ErrorBody,
}

/// What a successful exchange turned out to be.
enum Checked {
    Ok(Reply),
    Audit(String),
}

impl Reply {
    fn details(&self) -> PlatformDetails {
        PlatformDetails {
            status: self.status.as_u16(),
            code: self.error.code,
            err_code: self.error.err_code,
            message: self.error.message.clone(),
            trace_id: self.trace_id.clone(),
            retry_after: self.retry_after,
        }
    }

    fn audit_id(&self) -> Option<&str> {
        self.error
            .data
            .as_ref()?
            .message_audit
            .as_ref()
            .map(|audit| audit.audit_id.as_str())
            .filter(|id| !id.is_empty())
    }

    fn has_error_code(&self) -> bool {
        [self.error.code, self.error.err_code]
            .iter()
            .flatten()
            .any(|code| *code != 0)
    }

    fn is_auth_refusal(&self) -> bool {
        self.status == StatusCode::UNAUTHORIZED
            || self.error.code == Some(11244)
            || self.error.err_code == Some(11244)
    }

    /// Sort the exchange into success, audit, or error.
    fn check(self) -> Result<Checked, ApiError> {
        let audit_codes = [Some(304023), Some(304024)];
        if let Some(audit_id) = self.audit_id()
            && (self.status.is_success() || audit_codes.contains(&self.error.code))
        {
            return Ok(Checked::Audit(audit_id.to_owned()));
        }
        // 2xx with an error-shaped body (201/202 "async success") is still an error.
        let error_on_success =
            self.status.is_success() && self.has_error_code() && !self.body_has_key("id");
        if !self.status.is_success() || error_on_success {
            let details = self.details();
            return Err(ApiError::platform(self.endpoint, details));
        }
        Ok(Checked::Ok(self))
    }

    fn body_has_key(&self, key: &str) -> bool {
        serde_json::from_slice::<serde_json::Map<String, Value>>(&self.body)
            .map(|map| map.contains_key(key))
            .unwrap_or(false)
    }

    fn decode<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        serde_json::from_slice::<T>(&self.body).map_err(|source| {
            ApiError::decode(
                self.endpoint,
                self.status.as_u16(),
                self.trace_id,
                Box::new(source),
            )
        })
    }
}

struct Inner {
    http: reqwest::Client,
    api_base: String,
    app_id: String,
    token: Box<dyn DynTokenProvider>,
}

/// The OpenAPI client. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("api_base", &self.inner.api_base)
            .field("app_id", &self.inner.app_id)
            .finish_non_exhaustive()
    }
}

/// Percent-encode one path segment (ids are hex, digits or `ROBOT1.0_…!`; be safe anyway).
fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'!' | b'@' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

impl Api {
    /// A client for `api_base` (e.g. [`API_BASE`], [`SANDBOX_API_BASE`] or an emulator URL),
    /// authenticating as `app_id` with tokens from `token`.
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (as `reqwest::Client::new` does).
    pub fn new(
        api_base: impl Into<String>,
        app_id: impl Into<String>,
        token: impl TokenProvider,
    ) -> Api {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("qqbot/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client initialises");
        Api::with_http_client(http, api_base, app_id, token)
    }

    /// Like [`Api::new`], with your own `reqwest::Client` (timeouts, proxies).
    pub fn with_http_client(
        http: reqwest::Client,
        api_base: impl Into<String>,
        app_id: impl Into<String>,
        token: impl TokenProvider,
    ) -> Api {
        Api {
            inner: Arc::new(Inner {
                http,
                api_base: api_base.into().trim_end_matches('/').to_owned(),
                app_id: app_id.into(),
                token: Box::new(token),
            }),
        }
    }

    /// The API base URL, without a trailing slash.
    pub fn api_base(&self) -> &str {
        &self.inner.api_base
    }

    /// The app id sent in `X-Union-Appid`.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// `POST /channels/{channel_id}/messages`.
    pub async fn post_channel_message(
        &self,
        channel_id: &str,
        body: &MessageBody,
    ) -> Result<SendOutcome<Message>, ApiError> {
        let path = format!("/channels/{}/messages", segment(channel_id));
        self.send(&path, body).await
    }

    /// `POST /dms/{guild_id}/messages` (`guild_id` of the DM session, see [`Api::create_dm`]).
    pub async fn post_dm_message(
        &self,
        guild_id: &str,
        body: &MessageBody,
    ) -> Result<SendOutcome<Message>, ApiError> {
        let path = format!("/dms/{}/messages", segment(guild_id));
        self.send(&path, body).await
    }

    /// `POST /v2/groups/{group_openid}/messages`.
    pub async fn post_group_message(
        &self,
        group_openid: &str,
        body: &MessageBody,
    ) -> Result<SendOutcome<SentMessage>, ApiError> {
        let path = format!("/v2/groups/{}/messages", segment(group_openid));
        self.send(&path, body).await
    }

    /// `POST /v2/users/{openid}/messages`.
    pub async fn post_c2c_message(
        &self,
        openid: &str,
        body: &MessageBody,
    ) -> Result<SendOutcome<SentMessage>, ApiError> {
        let path = format!("/v2/users/{}/messages", segment(openid));
        self.send(&path, body).await
    }

    /// `POST /v2/groups/{group_openid}/files`.
    pub async fn upload_group_file(
        &self,
        group_openid: &str,
        file: &UploadFile,
    ) -> Result<UploadedFile, ApiError> {
        let path = format!("/v2/groups/{}/files", segment(group_openid));
        self.json(Method::POST, &path, Some(file)).await
    }

    /// `POST /v2/users/{openid}/files`.
    pub async fn upload_c2c_file(
        &self,
        openid: &str,
        file: &UploadFile,
    ) -> Result<UploadedFile, ApiError> {
        let path = format!("/v2/users/{}/files", segment(openid));
        self.json(Method::POST, &path, Some(file)).await
    }

    /// `POST /users/@me/dms`: open a guild DM session with `recipient_id`, started from
    /// `source_guild_id`.
    pub async fn create_dm(
        &self,
        recipient_id: &str,
        source_guild_id: &str,
    ) -> Result<DmSession, ApiError> {
        #[derive(Serialize)]
        struct Body<'a> {
            recipient_id: &'a str,
            source_guild_id: &'a str,
        }
        let body = Body {
            recipient_id,
            source_guild_id,
        };
        self.json(Method::POST, "/users/@me/dms", Some(&body)).await
    }

    /// `PUT /interactions/{id}` with `{"code": code}`: 0 ok, 1 failed, 2 too frequent,
    /// 3 duplicate, 4 no permission, 5 admins only. Every interaction must be acknowledged.
    pub async fn ack_interaction(&self, id: &str, code: u32) -> Result<(), ApiError> {
        #[derive(Serialize)]
        struct Body {
            code: u32,
        }
        let path = format!("/interactions/{}", segment(id));
        match self
            .exchange(Method::PUT, &path, Some(&Body { code }))
            .await?
            .check()?
        {
            Checked::Ok(_) | Checked::Audit(_) => Ok(()),
        }
    }

    /// Recall (撤回) a message the bot sent: `DELETE /channels/{channel_id}/messages/{id}`,
    /// `/dms/{guild_id}/messages/{id}` (with `hidetip`: hide the "message recalled" notice),
    /// `/v2/groups/{group_openid}/messages/{id}` or `/v2/users/{openid}/messages/{id}`
    /// (`hidetip` does not apply). `target` is the channel id, DM guild id, group openid or user
    /// openid the message was sent to. Group and C2C messages can be recalled only within 2 min
    /// of sending.
    pub async fn recall_message(
        &self,
        scene: super::reply::Scene,
        target: &str,
        message_id: &str,
        hidetip: bool,
    ) -> Result<(), ApiError> {
        use super::reply::Scene;
        let (target, id) = (segment(target), segment(message_id));
        let path = match scene {
            Scene::Channel => format!("/channels/{target}/messages/{id}?hidetip={hidetip}"),
            Scene::Dm => format!("/dms/{target}/messages/{id}?hidetip={hidetip}"),
            Scene::Group => format!("/v2/groups/{target}/messages/{id}"),
            Scene::C2c => format!("/v2/users/{target}/messages/{id}"),
        };
        match self
            .exchange::<()>(Method::DELETE, &path, None)
            .await?
            .check()?
        {
            Checked::Ok(_) | Checked::Audit(_) => Ok(()),
        }
    }

    /// `GET /users/@me`: the bot's own user.
    pub async fn me(&self) -> Result<User, ApiError> {
        self.json::<_, ()>(Method::GET, "/users/@me", None).await
    }

    /// `GET /users/@me/guilds`: the guilds the bot is in (first page, up to 100).
    pub async fn guilds(&self) -> Result<Vec<Guild>, ApiError> {
        self.json::<_, ()>(Method::GET, "/users/@me/guilds?limit=100", None)
            .await
    }

    /// `GET /gateway/bot`: gateway URL, recommended shards and session limits.
    pub async fn gateway_bot(&self) -> Result<GatewayBot, ApiError> {
        self.json::<_, ()>(Method::GET, "/gateway/bot", None).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &MessageBody,
    ) -> Result<SendOutcome<T>, ApiError> {
        match self
            .exchange(Method::POST, path, Some(body))
            .await?
            .check()?
        {
            Checked::Ok(reply) => reply.decode().map(SendOutcome::Sent),
            Checked::Audit(audit_id) => Ok(SendOutcome::QueuedForAudit { audit_id }),
        }
    }

    async fn json<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let endpoint = format!("{method} {path}");
        match self.exchange(method, path, body).await?.check()? {
            Checked::Ok(reply) => reply.decode(),
            Checked::Audit(audit_id) => Err(ApiError::decode(
                endpoint,
                202,
                None,
                format!("unexpected audit hold {audit_id}").into(),
            )),
        }
    }

    /// One call: authenticate, send, read the body; on 401 / 11244 refresh the token and retry once.
    async fn exchange<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Reply, ApiError> {
        let endpoint = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let url = format!("{}{path}", self.inner.api_base);
        let mut refreshed = false;
        loop {
            let token = self
                .inner
                .token
                .token()
                .await
                .map_err(|source| ApiError::token(endpoint.clone(), source))?;
            let mut auth = HeaderValue::from_str(&crate::protocol::payloads::bot_token(&token))
                .map_err(|e| ApiError::token(endpoint.clone(), Box::new(e)))?;
            auth.set_sensitive(true);
            let mut request = self
                .inner
                .http
                .request(method.clone(), &url)
                .header(reqwest::header::AUTHORIZATION, auth)
                .header("X-Union-Appid", &self.inner.app_id);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request
                .send()
                .await
                .map_err(|e| ApiError::transport(endpoint.clone(), e.without_url()))?;
            let status = response.status();
            let headers = response.headers();
            let header_trace = headers
                .get("x-tps-trace-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let retry_after = retry_after(headers);
            let bytes = response
                .bytes()
                .await
                .map_err(|e| ApiError::transport(endpoint.clone(), e.without_url()))?;
            let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            let trace_id = header_trace.or_else(|| error.trace_id.clone());
            let reply = Reply {
                endpoint: endpoint.clone(),
                status,
                trace_id,
                retry_after,
                body: bytes.to_vec(),
                error,
            };
            tracing::debug!(
                endpoint = %endpoint,
                status = status.as_u16(),
                code = ?reply.error.code,
                trace_id = ?reply.trace_id,
                "openapi call"
            );
            if reply.is_auth_refusal() && !refreshed {
                tracing::debug!(endpoint = %endpoint, "token refused; refreshing once");
                self.inner.token.invalidate().await;
                refreshed = true;
                continue;
            }
            return Ok(reply);
        }
    }
}
