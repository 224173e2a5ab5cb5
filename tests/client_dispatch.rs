//! The client facade's event loop, fed items directly (no gateway): routing, isolation of
//! failing handlers, bounded concurrency, replies through the Context.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::IntoResponse;
use chrono::Utc;
use qqbot::client::{
    Client, ClientError, Context, Environment, EventHandler, HandlerError, HandlerResult, Token,
};
use qqbot::gateway::{CloseOrigin, Dispatch, GatewayItem, ItemKind, ShardId};
use qqbot::http::api::MessageBody;
use qqbot::http::{Api, StaticToken};
use qqbot::models::{
    C2cMessage, Channel, FriendEvent, GroupMessage, GroupRobotEvent, Guild, GuildMember,
    Interaction, Message, MessageAudit, MessageDelete, MessageReaction, Ready,
};
use qqbot::protocol::{CloseAction, Envelope, Intents};
use serde_json::Value;
use tokio::sync::{Semaphore, mpsc};

const WAIT: Duration = Duration::from_secs(10);

async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("finished in time")
}

fn item(kind: ItemKind) -> GatewayItem {
    GatewayItem {
        shard: ShardId::ONE,
        received_at: Utc::now(),
        kind,
    }
}

/// A dispatch item from a full frame, as the gateway builds it.
fn dispatch(frame: &str) -> GatewayItem {
    let frame: Arc<str> = Arc::from(frame);
    let env = Envelope::peek(&frame).unwrap();
    let d = env.d.unwrap().get();
    let start = d.as_ptr() as usize - frame.as_ptr() as usize;
    let dispatch = Dispatch::new(
        env.s,
        env.t.as_deref().unwrap().into(),
        env.id.as_deref(),
        Arc::clone(&frame),
        start..start + d.len(),
    );
    item(ItemKind::Dispatch(dispatch))
}

fn frame(s: u64, t: &str, d: &str) -> String {
    format!(r#"{{"op":0,"s":{s},"t":"{t}","id":"{t}:ev-{s}","d":{d}}}"#)
}

fn ready_item() -> GatewayItem {
    item(ItemKind::Ready {
        session_id: "sess-1".into(),
        user_id: "615".into(),
        username: "testbot".into(),
        version: Some(1),
    })
}

/// The state change the core publishes after READY.
fn active_item() -> GatewayItem {
    item(ItemKind::StateChange {
        from: qqbot::gateway::ShardState::Identifying,
        to: qqbot::gateway::ShardState::Active,
    })
}

fn unused_api() -> Api {
    Api::new("http://127.0.0.1:9", "1", StaticToken::new("t"))
}

fn client<H: EventHandler>(handler: H) -> Client<H> {
    Client::new(
        Token::new("1", "secret"),
        Intents::default_granted(),
        handler,
        Environment::Sandbox,
    )
}

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
    errors: Mutex<Vec<String>>,
}

impl Recorder {
    fn push(&self, entry: String) {
        self.calls.lock().unwrap().push(entry);
    }
}

/// Handlers must be local types; this shares the recorder with the test.
struct Rec(Arc<Recorder>);

impl std::ops::Deref for Rec {
    type Target = Recorder;
    fn deref(&self) -> &Recorder {
        &self.0
    }
}

impl EventHandler for Rec {
    async fn ready(&self, ctx: Context, ready: Ready) -> HandlerResult {
        assert!(ctx.event_type().is_none());
        self.push(format!(
            "ready {} {}",
            ready.session_id, ready.user.username
        ));
        Ok(())
    }

    async fn at_message_create(&self, ctx: Context, message: Message) -> HandlerResult {
        if message.plain_content() == "/panic" {
            panic!("boom in handler");
        }
        self.push(format!(
            "at {} {} {}",
            message.plain_content(),
            ctx.event_id().unwrap(),
            ctx.seq().unwrap()
        ));
        Ok(())
    }

    async fn group_at_message_create(&self, _ctx: Context, message: GroupMessage) -> HandlerResult {
        self.push(format!("group {}", message.content.trim()));
        Ok(())
    }

    async fn c2c_message_create(&self, _ctx: Context, message: C2cMessage) -> HandlerResult {
        if message.content == "fail" {
            return Err("c2c handler gave up".into());
        }
        self.push(format!("c2c {}", message.content));
        Ok(())
    }

    async fn message_reaction_add(
        &self,
        _ctx: Context,
        reaction: MessageReaction,
    ) -> HandlerResult {
        self.push(format!("reaction {}", reaction.target.kind));
        Ok(())
    }

    async fn dispatch(&self, ctx: Context, dispatch: Dispatch) -> HandlerResult {
        assert_eq!(ctx.event_type(), Some(&*dispatch.t));
        self.push(format!("dispatch {}", dispatch.t));
        Ok(())
    }

    async fn lifecycle(&self, _ctx: Context, item: GatewayItem) -> HandlerResult {
        self.push(format!("lifecycle {}", item.kind.key()));
        Ok(())
    }

    async fn error(&self, ctx: Context, error: HandlerError) {
        let what = match &error {
            HandlerError::Failed { handler, source } => format!("failed {handler}: {source}"),
            HandlerError::Panicked { handler, message } => format!("panicked {handler}: {message}"),
            HandlerError::BadPayload(e) => format!("bad payload: {e}"),
            _ => error.to_string(),
        };
        self.errors
            .lock()
            .unwrap()
            .push(format!("{} {what}", ctx.event_type().unwrap_or("-")));
    }
}

fn sorted(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list
}

#[tokio::test]
async fn events_reach_their_typed_handlers_and_the_catch_all() {
    let recorder = Arc::new(Recorder::default());
    let client = client(Rec(Arc::clone(&recorder)));
    let (tx, rx) = mpsc::channel(16);
    tx.send(ready_item()).await.unwrap();
    tx.send(active_item()).await.unwrap();
    tx.send(dispatch(&frame(
        1,
        "AT_MESSAGE_CREATE",
        r#"{"id":"m1","channel_id":"c","content":"<@!615> /ping"}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(
        2,
        "GROUP_AT_MESSAGE_CREATE",
        r#"{"id":"g1","group_openid":"G","content":" /status"}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(
        3,
        "C2C_MESSAGE_CREATE",
        r#"{"id":"c1","content":"hi","author":{"user_openid":"U"}}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(
        4,
        "MESSAGE_REACTION_ADD",
        r#"{"target":{"id":"x","type":"ReactionTargetType_MSG"}}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(5, "BRAND_NEW_EVENT", r#"{"x":1}"#)))
        .await
        .unwrap();
    drop(tx);
    bounded(client.run_items(unused_api(), rx)).await.unwrap();

    assert_eq!(
        sorted(recorder.calls.lock().unwrap().clone()),
        sorted(vec![
            "ready sess-1 testbot".into(),
            "lifecycle ready".into(),
            "lifecycle state".into(),
            "dispatch AT_MESSAGE_CREATE".into(),
            "at /ping AT_MESSAGE_CREATE:ev-1 1".into(),
            "dispatch GROUP_AT_MESSAGE_CREATE".into(),
            "group /status".into(),
            "dispatch C2C_MESSAGE_CREATE".into(),
            "c2c hi".into(),
            "dispatch MESSAGE_REACTION_ADD".into(),
            "reaction ReactionTargetType_MSG".into(),
            "dispatch BRAND_NEW_EVENT".into(),
        ])
    );
    assert!(recorder.errors.lock().unwrap().is_empty());
    assert_eq!(client.dispatches_seen(), 5);
    assert!(client.is_connected());
    let sessions = client.get_session_info();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].session_id.as_deref(), Some("sess-1"));
    assert_eq!(sessions[0].last_seq, Some(5));
}

#[tokio::test]
async fn panics_errors_and_bad_payloads_never_stop_the_client() {
    let recorder = Arc::new(Recorder::default());
    let client = client(Rec(Arc::clone(&recorder)));
    let (tx, rx) = mpsc::channel(16);
    tx.send(dispatch(&frame(
        1,
        "AT_MESSAGE_CREATE",
        r#"{"id":"m1","content":"/panic"}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(
        2,
        "C2C_MESSAGE_CREATE",
        r#"{"id":"c1","content":"fail"}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(
        3,
        "AT_MESSAGE_CREATE",
        r#"{"id":{"not":"an id"}}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(
        4,
        "AT_MESSAGE_CREATE",
        r#"{"id":"m2","content":"after"}"#,
    )))
    .await
    .unwrap();
    drop(tx);
    bounded(client.run_items(unused_api(), rx)).await.unwrap();

    let calls = recorder.calls.lock().unwrap().clone();
    assert!(
        calls.contains(&"at after AT_MESSAGE_CREATE:ev-4 4".to_owned()),
        "{calls:?}"
    );
    assert_eq!(
        calls.iter().filter(|c| c.starts_with("dispatch")).count(),
        4,
        "{calls:?}"
    );
    assert_eq!(
        sorted(recorder.errors.lock().unwrap().clone()),
        sorted(vec![
            "AT_MESSAGE_CREATE panicked at_message_create: boom in handler".into(),
            "C2C_MESSAGE_CREATE failed c2c_message_create: c2c handler gave up".into(),
            "AT_MESSAGE_CREATE bad payload: cannot read the AT_MESSAGE_CREATE payload".into(),
        ])
    );
    assert_eq!(client.handler_errors(), 3);
}

#[tokio::test]
async fn fatal_item_stops_the_client_with_its_reason() {
    let recorder = Arc::new(Recorder::default());
    let client = client(Rec(Arc::clone(&recorder)));
    let (tx, rx) = mpsc::channel(16);
    tx.send(ready_item()).await.unwrap();
    tx.send(active_item()).await.unwrap();
    tx.send(item(ItemKind::Closed {
        code: Some(4914),
        reason: "offline".into(),
        origin: CloseOrigin::Server,
        action: CloseAction::Fatal,
        cause: qqbot::gateway::Cause::Closed {
            code: Some(4914),
            reason: "offline".into(),
        },
    }))
    .await
    .unwrap();
    tx.send(item(ItemKind::StateChange {
        from: qqbot::gateway::ShardState::Active,
        to: qqbot::gateway::ShardState::FatallyClosed,
    }))
    .await
    .unwrap();
    tx.send(item(ItemKind::Fatal {
        reason: "bot is offline (4914)".into(),
        hint: Some("use the sandbox".into()),
        code: Some(4914),
        cause: qqbot::gateway::FatalCause::CloseCode(4914),
    }))
    .await
    .unwrap();
    // The sender stays open: the fatal item alone ends the loop.
    let err = bounded(client.run_items(unused_api(), rx))
        .await
        .unwrap_err();
    let ClientError::Fatal {
        reason, hint, code, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (reason.as_str(), hint.as_deref(), *code),
        ("bot is offline (4914)", Some("use the sandbox"), Some(4914))
    );
    assert_eq!(err.to_string(), "gateway stopped: bot is offline (4914)");
    assert!(!client.is_connected(), "closed after ready");
    let calls = recorder.calls.lock().unwrap().clone();
    assert!(calls.contains(&"lifecycle fatal".to_owned()), "{calls:?}");
    drop(tx);
}

#[tokio::test]
async fn shutdown_handle_ends_the_loop_with_the_stream_still_open() {
    let client = client(Rec(Arc::new(Recorder::default())));
    let (tx, rx) = mpsc::channel::<GatewayItem>(1);
    let handle = client.shutdown_handle();
    handle.shutdown();
    bounded(client.run_items(unused_api(), rx)).await.unwrap();
    drop(tx);
}

/// Blocks every handler on a gate and tracks how many run at once.
struct Gated {
    gate: Arc<Semaphore>,
    started: mpsc::UnboundedSender<()>,
    active: AtomicUsize,
    max_active: AtomicUsize,
    done: AtomicUsize,
}

struct Gate(Arc<Gated>);

impl std::ops::Deref for Gate {
    type Target = Gated;
    fn deref(&self) -> &Gated {
        &self.0
    }
}

impl EventHandler for Gate {
    async fn c2c_message_create(&self, _ctx: Context, _message: C2cMessage) -> HandlerResult {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_active.fetch_max(now, Ordering::SeqCst);
        self.started.send(()).unwrap();
        self.gate.acquire().await.unwrap().forget();
        self.active.fetch_sub(1, Ordering::SeqCst);
        self.done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn handler_concurrency_is_bounded_and_pushes_back() {
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let gated = Arc::new(Gated {
        gate: Arc::new(Semaphore::new(0)),
        started: started_tx,
        active: AtomicUsize::new(0),
        max_active: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
    });
    let client = client(Gate(Arc::clone(&gated))).with_max_concurrent_handlers(2);
    let c2c = |s| {
        dispatch(&frame(
            s,
            "C2C_MESSAGE_CREATE",
            r#"{"id":"c","content":"x"}"#,
        ))
    };
    let (tx, rx) = mpsc::channel(1);
    let run = tokio::spawn(async move {
        let result = client.run_items(unused_api(), rx).await;
        (client, result)
    });
    tx.send(c2c(1)).await.unwrap();
    tx.send(c2c(2)).await.unwrap();
    for _ in 0..2 {
        bounded(started.recv()).await.unwrap();
    }
    // Both slots are taken: the loop holds item 3 waiting for a slot, item 4 fills the buffer,
    // and item 5 does not fit.
    bounded(tx.send(c2c(3))).await.unwrap();
    bounded(tx.send(c2c(4))).await.unwrap();
    assert!(matches!(
        tx.try_send(c2c(5)),
        Err(mpsc::error::TrySendError::Full(_))
    ));
    assert_eq!(gated.active.load(Ordering::SeqCst), 2);

    gated.gate.add_permits(5);
    bounded(tx.send(c2c(5))).await.unwrap();
    drop(tx);
    let (client, result) = bounded(run).await.unwrap();
    result.unwrap();
    assert_eq!(
        gated.done.load(Ordering::SeqCst),
        5,
        "run_items waits for running handlers"
    );
    assert_eq!(gated.max_active.load(Ordering::SeqCst), 2);
    assert_eq!(client.dispatches_seen(), 5);
}

/// Replies to everything through the Context helpers.
struct Replier;

impl EventHandler for Replier {
    async fn direct_message_create(&self, ctx: Context, message: Message) -> HandlerResult {
        ctx.reply(&message, MessageBody::text("pong")).await?;
        Ok(())
    }

    async fn at_message_create(&self, ctx: Context, message: Message) -> HandlerResult {
        ctx.reply(&message, MessageBody::text("pong")).await?;
        Ok(())
    }

    async fn group_at_message_create(&self, ctx: Context, message: GroupMessage) -> HandlerResult {
        ctx.reply_group(&message, MessageBody::text("one")).await?;
        ctx.reply_group(&message, MessageBody::text("two")).await?;
        Ok(())
    }

    async fn c2c_message_create(&self, ctx: Context, message: C2cMessage) -> HandlerResult {
        ctx.reply_c2c(&message, MessageBody::text("hi")).await?;
        Ok(())
    }
}

async fn record(
    State(seen): State<mpsc::UnboundedSender<(String, String)>>,
    uri: Uri,
    body: String,
) -> impl IntoResponse {
    let path = uri.path().to_owned();
    seen.send((path.clone(), body)).unwrap();
    let reply = if path.starts_with("/v2/") {
        r#"{"id":"ROBOT1.0_r!","timestamp":"2026-02-01T16:28:12+08:00"}"#
    } else {
        r#"{"id":"r","channel_id":"100010","content":"pong","author":{"bot":true}}"#
    };
    ([("content-type", "application/json")], reply)
}

#[tokio::test]
async fn context_replies_are_passive_with_incrementing_msg_seq() {
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let app = Router::new().fallback(record).with_state(seen_tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = client(Replier);
    let api = Api::new(base, "1", StaticToken::new("t"));
    let (tx, rx) = mpsc::channel(8);
    tx.send(dispatch(&frame(
        1,
        "AT_MESSAGE_CREATE",
        r#"{"id":"m1","channel_id":"100010","content":"/ping"}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(
        2,
        "GROUP_AT_MESSAGE_CREATE",
        r#"{"id":"g1","group_openid":"G","content":" /ping"}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(
        3,
        "C2C_MESSAGE_CREATE",
        r#"{"id":"c1","author":{"user_openid":"U"},"content":"/ping"}"#,
    )))
    .await
    .unwrap();
    tx.send(dispatch(&frame(
        4,
        "DIRECT_MESSAGE_CREATE",
        r#"{"id":"d1","guild_id":"dmg","channel_id":"x","direct_message":true,"content":"/ping"}"#,
    )))
    .await
    .unwrap();
    drop(tx);
    bounded(client.run_items(api, rx)).await.unwrap();
    assert_eq!(client.handler_errors(), 0);

    let mut requests = Vec::new();
    while let Ok(request) = seen.try_recv() {
        requests.push(request);
    }
    let requests = sorted(
        requests
            .into_iter()
            .map(|(p, b)| format!("{p} {b}"))
            .collect(),
    );
    assert_eq!(
        requests,
        sorted(vec![
            r#"/channels/100010/messages {"content":"pong","msg_type":0,"msg_id":"m1"}"#.into(),
            r#"/v2/groups/G/messages {"content":"one","msg_type":0,"msg_id":"g1","msg_seq":1}"#
                .into(),
            r#"/v2/groups/G/messages {"content":"two","msg_type":0,"msg_id":"g1","msg_seq":2}"#
                .into(),
            r#"/v2/users/U/messages {"content":"hi","msg_type":0,"msg_id":"c1","msg_seq":1}"#
                .into(),
            r#"/dms/dmg/messages {"content":"pong","msg_type":0,"msg_id":"d1"}"#.into(),
        ])
    );
}

#[test]
fn client_and_token_debug_never_show_the_secret() {
    let token = Token::new("102000000", "hunter2-app-secret");
    assert_eq!(token.secret().expose(), "hunter2-app-secret");
    let client = Client::new(
        token.clone(),
        Intents::default_granted(),
        Replier,
        Environment::Production,
    )
    .with_api_base("http://127.0.0.1:1");
    for shown in [format!("{token:?}"), format!("{client:?}")] {
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("102000000"), "{shown}");
    }
    assert_eq!(client.api_base(), "http://127.0.0.1:1");
    assert_eq!(client.token_url(), qqbot::client::TOKEN_URL);
    let sandbox = Client::new(
        token,
        Intents::default_granted(),
        Replier,
        Environment::Sandbox,
    );
    assert_eq!(sandbox.api_base(), qqbot::http::api::SANDBOX_API_BASE);
}

/// Every row of the client's event → handler table: one dispatch per event type, each reaching
/// the method named for it exactly once (and ENTER_AIO reaching none).
struct Names(Arc<Mutex<Vec<String>>>);

impl EventHandler for Names {
    async fn ready(&self, ctx: Context, _e: Ready) -> HandlerResult {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} ready", ctx.event_type().unwrap_or("-")));
        Ok(())
    }

    async fn resumed(&self, ctx: Context) -> HandlerResult {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} resumed", ctx.event_type().unwrap_or("-")));
        Ok(())
    }

    async fn at_message_create(&self, ctx: Context, _e: Message) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} at_message_create",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn message_create(&self, ctx: Context, _e: Message) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} message_create",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn direct_message_create(&self, ctx: Context, _e: Message) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} direct_message_create",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn group_at_message_create(&self, ctx: Context, _e: GroupMessage) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} group_at_message_create",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn c2c_message_create(&self, ctx: Context, _e: C2cMessage) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} c2c_message_create",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn guild_create(&self, ctx: Context, _e: Guild) -> HandlerResult {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} guild_create", ctx.event_type().unwrap_or("-")));
        Ok(())
    }

    async fn guild_update(&self, ctx: Context, _e: Guild) -> HandlerResult {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} guild_update", ctx.event_type().unwrap_or("-")));
        Ok(())
    }

    async fn guild_delete(&self, ctx: Context, _e: Guild) -> HandlerResult {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} guild_delete", ctx.event_type().unwrap_or("-")));
        Ok(())
    }

    async fn channel_create(&self, ctx: Context, _e: Channel) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} channel_create",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn channel_update(&self, ctx: Context, _e: Channel) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} channel_update",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn channel_delete(&self, ctx: Context, _e: Channel) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} channel_delete",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn guild_member_add(&self, ctx: Context, _e: GuildMember) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} guild_member_add",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn guild_member_update(&self, ctx: Context, _e: GuildMember) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} guild_member_update",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn guild_member_remove(&self, ctx: Context, _e: GuildMember) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} guild_member_remove",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn message_reaction_add(&self, ctx: Context, _e: MessageReaction) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} message_reaction_add",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn message_reaction_remove(&self, ctx: Context, _e: MessageReaction) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} message_reaction_remove",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn interaction_create(&self, ctx: Context, _e: Interaction) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} interaction_create",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn friend_add(&self, ctx: Context, _e: FriendEvent) -> HandlerResult {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} friend_add", ctx.event_type().unwrap_or("-")));
        Ok(())
    }

    async fn friend_del(&self, ctx: Context, _e: FriendEvent) -> HandlerResult {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} friend_del", ctx.event_type().unwrap_or("-")));
        Ok(())
    }

    async fn c2c_msg_setting(&self, ctx: Context, _e: FriendEvent, receive: bool) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} c2c_msg_setting {receive}",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn group_add_robot(&self, ctx: Context, _e: GroupRobotEvent) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} group_add_robot",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn group_del_robot(&self, ctx: Context, _e: GroupRobotEvent) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} group_del_robot",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn group_msg_setting(
        &self,
        ctx: Context,
        _e: GroupRobotEvent,
        receive: bool,
    ) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} group_msg_setting {receive}",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn message_delete(&self, ctx: Context, _e: MessageDelete) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} message_delete",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn message_audit_pass(&self, ctx: Context, _e: MessageAudit) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} message_audit_pass",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }

    async fn message_audit_reject(&self, ctx: Context, _e: MessageAudit) -> HandlerResult {
        self.0.lock().unwrap().push(format!(
            "{} message_audit_reject",
            ctx.event_type().unwrap_or("-")
        ));
        Ok(())
    }
}

#[tokio::test]
async fn every_event_type_reaches_the_method_named_for_it() {
    let frames = [
        ("READY", r#"{"session_id":"s"}"#),
        ("RESUMED", r#""""#),
        ("AT_MESSAGE_CREATE", r#"{}"#),
        ("MESSAGE_CREATE", r#"{}"#),
        ("DIRECT_MESSAGE_CREATE", r#"{}"#),
        ("GROUP_AT_MESSAGE_CREATE", r#"{}"#),
        ("GROUP_MESSAGE_CREATE", r#"{}"#),
        ("C2C_MESSAGE_CREATE", r#"{}"#),
        ("GUILD_CREATE", r#"{}"#),
        ("GUILD_UPDATE", r#"{}"#),
        ("GUILD_DELETE", r#"{}"#),
        ("CHANNEL_CREATE", r#"{}"#),
        ("CHANNEL_UPDATE", r#"{}"#),
        ("CHANNEL_DELETE", r#"{}"#),
        ("GUILD_MEMBER_ADD", r#"{}"#),
        ("GUILD_MEMBER_UPDATE", r#"{}"#),
        ("GUILD_MEMBER_REMOVE", r#"{}"#),
        ("MESSAGE_REACTION_ADD", r#"{}"#),
        ("MESSAGE_REACTION_REMOVE", r#"{}"#),
        ("INTERACTION_CREATE", r#"{}"#),
        ("FRIEND_ADD", r#"{}"#),
        ("FRIEND_DEL", r#"{}"#),
        ("C2C_MSG_REJECT", r#"{}"#),
        ("C2C_MSG_RECEIVE", r#"{}"#),
        ("GROUP_ADD_ROBOT", r#"{}"#),
        ("GROUP_DEL_ROBOT", r#"{}"#),
        ("GROUP_MSG_REJECT", r#"{}"#),
        ("GROUP_MSG_RECEIVE", r#"{}"#),
        ("MESSAGE_DELETE", r#"{}"#),
        ("PUBLIC_MESSAGE_DELETE", r#"{}"#),
        ("DIRECT_MESSAGE_DELETE", r#"{}"#),
        ("MESSAGE_AUDIT_PASS", r#"{}"#),
        ("MESSAGE_AUDIT_REJECT", r#"{}"#),
        ("ENTER_AIO", r#"{}"#),
    ];
    let calls = Arc::new(Mutex::new(Vec::new()));
    let client = client(Names(Arc::clone(&calls)));
    let (tx, rx) = mpsc::channel(64);
    for (s, (t, d)) in frames.iter().enumerate() {
        tx.send(dispatch(&frame(s as u64 + 1, t, d))).await.unwrap();
    }
    drop(tx);
    bounded(client.run_items(unused_api(), rx)).await.unwrap();
    let expected = [
        "READY ready",
        "RESUMED resumed",
        "AT_MESSAGE_CREATE at_message_create",
        "MESSAGE_CREATE message_create",
        "DIRECT_MESSAGE_CREATE direct_message_create",
        "GROUP_AT_MESSAGE_CREATE group_at_message_create",
        "GROUP_MESSAGE_CREATE group_at_message_create",
        "C2C_MESSAGE_CREATE c2c_message_create",
        "GUILD_CREATE guild_create",
        "GUILD_UPDATE guild_update",
        "GUILD_DELETE guild_delete",
        "CHANNEL_CREATE channel_create",
        "CHANNEL_UPDATE channel_update",
        "CHANNEL_DELETE channel_delete",
        "GUILD_MEMBER_ADD guild_member_add",
        "GUILD_MEMBER_UPDATE guild_member_update",
        "GUILD_MEMBER_REMOVE guild_member_remove",
        "MESSAGE_REACTION_ADD message_reaction_add",
        "MESSAGE_REACTION_REMOVE message_reaction_remove",
        "INTERACTION_CREATE interaction_create",
        "FRIEND_ADD friend_add",
        "FRIEND_DEL friend_del",
        "C2C_MSG_REJECT c2c_msg_setting false",
        "C2C_MSG_RECEIVE c2c_msg_setting true",
        "GROUP_ADD_ROBOT group_add_robot",
        "GROUP_DEL_ROBOT group_del_robot",
        "GROUP_MSG_REJECT group_msg_setting false",
        "GROUP_MSG_RECEIVE group_msg_setting true",
        "MESSAGE_DELETE message_delete",
        "PUBLIC_MESSAGE_DELETE message_delete",
        "DIRECT_MESSAGE_DELETE message_delete",
        "MESSAGE_AUDIT_PASS message_audit_pass",
        "MESSAGE_AUDIT_REJECT message_audit_reject",
    ];
    assert_eq!(
        sorted(calls.lock().unwrap().clone()),
        sorted(expected.iter().map(|s| s.to_string()).collect())
    );
}

/// A group reply whose `msg_seq` the platform already saw (40054005) goes again with the next
/// number, as `qqbot send` does.
#[tokio::test]
async fn a_reply_with_a_used_msg_seq_is_retried_with_the_next_one() {
    let bodies = Arc::new(Mutex::new(Vec::<Value>::new()));
    let seen = Arc::clone(&bodies);
    let app = Router::new().route(
        "/v2/groups/G/messages",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let seen = Arc::clone(&seen);
            async move {
                let first = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(body);
                    seen.len() == 1
                };
                if first {
                    (
                        axum::http::StatusCode::BAD_REQUEST,
                        axum::Json(serde_json::json!({"code": 40054005, "message": "消息被去重，请检查请求msgseq"})),
                    )
                } else {
                    (
                        axum::http::StatusCode::OK,
                        axum::Json(serde_json::json!({"id": "sent-1", "timestamp": "2026-12-02T10:00:00+08:00"})),
                    )
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    struct Once(Arc<Mutex<Vec<String>>>);
    impl EventHandler for Once {
        async fn group_at_message_create(&self, ctx: Context, m: GroupMessage) -> HandlerResult {
            let outcome = ctx.reply_group(&m, MessageBody::text("pong")).await?;
            self.0
                .lock()
                .unwrap()
                .push(outcome.sent().map(|d| d.id).unwrap_or_default());
            Ok(())
        }
    }
    let ids = Arc::new(Mutex::new(Vec::new()));
    let client = client(Once(Arc::clone(&ids)));
    let (tx, rx) = mpsc::channel(4);
    tx.send(dispatch(&frame(
        1,
        "GROUP_AT_MESSAGE_CREATE",
        r#"{"id":"g1","group_openid":"G","content":" /ping"}"#,
    )))
    .await
    .unwrap();
    drop(tx);
    let api = Api::new(base, "1", StaticToken::new("t"));
    bounded(client.run_items(api, rx)).await.unwrap();
    assert_eq!(client.handler_errors(), 0);
    assert_eq!(*ids.lock().unwrap(), ["sent-1"]);
    let seqs: Vec<_> = bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| b["msg_seq"].clone())
        .collect();
    assert_eq!(seqs, [serde_json::json!(1), serde_json::json!(2)]);
}
