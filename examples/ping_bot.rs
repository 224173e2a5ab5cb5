//! A minimal bot: replies `pong` to `/ping` and a status line to `/status`, in guild @-messages,
//! group @-messages and C2C chats, as passive replies (`msg_id` plus an incrementing `msg_seq`).
//!
//! Configuration comes from the environment:
//!
//! | Variable | Default |
//! |---|---|
//! | `QQBOT_APP_ID` | required |
//! | `QQBOT_SECRET` | required |
//! | `QQBOT_API_BASE` | `https://api.sgroup.qq.com` (the sandbox with `QQBOT_SANDBOX=1`) |
//! | `QQBOT_TOKEN_URL` | `https://bots.qq.com/app/getAppAccessToken` |
//!
//! Try it offline against the local emulator:
//!
//! ```text
//! # terminal 1: the emulator on 127.0.0.1:8080, no generated traffic
//! qqbot emulate --scenario quiet
//!
//! # terminal 2: the bot
//! QQBOT_APP_ID=1020304050 QQBOT_SECRET=qqbot-emulator-secret \
//! QQBOT_API_BASE=http://127.0.0.1:8080 \
//! QQBOT_TOKEN_URL=http://127.0.0.1:8080/app/getAppAccessToken \
//!     cargo run --example ping_bot
//!
//! # terminal 3: a user says /ping in a group, and the bot's reply is printed
//! qqbot emulate dispatch GROUP_AT_MESSAGE_CREATE --content /ping --wait-reply 5s
//! # the same with curl: deliver, then look at what the bot sent
//! curl -s -XPOST http://127.0.0.1:8080/_emulator/dispatch -H 'content-type: application/json' \
//!   -d '{"t":"AT_MESSAGE_CREATE","d":{"id":"m1","channel_id":"100010","guild_id":"18700000000001",
//!        "content":"<@!1> /ping","author":{"id":"1234","username":"abc"}}}'
//! curl -s http://127.0.0.1:8080/_emulator/state | jq .messages
//! ```
//!
//! Ctrl-C stops it cleanly.

use std::time::Duration;

use qqbot::client::{Client, Context, Environment, EventHandler, HandlerResult, Token};
use qqbot::http::api::MessageBody;
use qqbot::models::{C2cMessage, GroupMessage, Message, Ready};
use qqbot::protocol::Intents;

/// What the bot answers to a command, if anything.
fn answer(ctx: &Context, text: &str) -> Option<String> {
    match text.trim() {
        "/ping" => Some("pong".to_owned()),
        "/status" => Some(status_line(ctx)),
        _ => None,
    }
}

fn status_line(ctx: &Context) -> String {
    let sessions = ctx.sessions();
    let session = sessions
        .iter()
        .find(|s| s.shard == ctx.shard())
        .and_then(|s| s.session_id.clone())
        .unwrap_or_else(|| "-".to_owned());
    format!(
        "up {} · session {session} (shard {}) · {} events seen",
        human(ctx.uptime()),
        ctx.shard(),
        ctx.dispatches_seen()
    )
}

fn human(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs / 60 % 60),
    }
}

/// The handler (public so the facade test can run this exact bot against the emulator).
pub struct PingBot;

impl EventHandler for PingBot {
    async fn ready(&self, ctx: Context, ready: Ready) -> HandlerResult {
        eprintln!(
            "ping_bot: ready as {} on shard {} (session {})",
            ready.user.username,
            ctx.shard(),
            ready.session_id
        );
        Ok(())
    }

    async fn at_message_create(&self, ctx: Context, message: Message) -> HandlerResult {
        if let Some(reply) = answer(&ctx, &message.plain_content()) {
            ctx.reply(&message, MessageBody::text(reply)).await?;
        }
        Ok(())
    }

    async fn group_at_message_create(&self, ctx: Context, message: GroupMessage) -> HandlerResult {
        if let Some(reply) = answer(&ctx, &message.content) {
            ctx.reply_group(&message, MessageBody::text(reply)).await?;
        }
        Ok(())
    }

    async fn c2c_message_create(&self, ctx: Context, message: C2cMessage) -> HandlerResult {
        if let Some(reply) = answer(&ctx, &message.content) {
            ctx.reply_c2c(&message, MessageBody::text(reply)).await?;
        }
        Ok(())
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let (Some(app_id), Some(secret)) = (env("QQBOT_APP_ID"), env("QQBOT_SECRET")) else {
        eprintln!(
            "ping_bot: set QQBOT_APP_ID and QQBOT_SECRET (see the doc comment for the emulator)"
        );
        return std::process::ExitCode::from(2);
    };
    let environment = Environment::sandbox_if(env("QQBOT_SANDBOX").is_some_and(|v| v != "0"));
    let intents =
        Intents::parse("public_guild_messages,group_and_c2c_event").expect("known intent names");
    let mut client = Client::new(Token::new(app_id, secret), intents, PingBot, environment);
    if let Some(base) = env("QQBOT_API_BASE") {
        client = client.with_api_base(base);
    }
    if let Some(url) = env("QQBOT_TOKEN_URL") {
        client = client.with_token_url(url);
    }
    let stop = client.shutdown_handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("ping_bot: stopping");
            stop.shutdown();
        }
    });
    match client.start().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ping_bot: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            std::process::ExitCode::FAILURE
        }
    }
}
