//! The design guide's bot, written against `qqbot::client` as a bot author would: a filtering
//! handler with prefix commands (`/ping` → "Pong!", `/status` → "状态: 在线/离线" for the shard
//! the message came on), READY logging, two shards with spaced identifies, the reconnect and
//! heartbeat policy set through the `Client` builder, periodic metrics and diagnostics, intents
//! validated before connecting, and a per-module tracing filter.
//!
//! Against the local emulator (two shards):
//!
//! ```text
//! qqbot emulate --scenario quiet --shards 2
//! QQBOT_APP_ID=1020304050 QQBOT_SECRET=qqbot-emulator-secret \
//! QQBOT_API_BASE=http://127.0.0.1:8080 QQBOT_TOKEN_URL=http://127.0.0.1:8080/app/getAppAccessToken \
//! RUST_LOG=info,qqbot::gateway=debug cargo run --example guide_bot
//! ```

use std::time::Duration;

use qqbot::client::{Client, Context, Environment, EventHandler, HandlerResult, Token};
use qqbot::gateway::{HeartbeatConfig, ReconnectConfig, ShardSelection};
use qqbot::http::api::MessageBody;
use qqbot::models::{C2cMessage, GroupMessage, Message, Ready};
use qqbot::protocol::Intents;

/// Answers commands that start with its prefix; ignores everything else.
pub struct GuideBot {
    /// The command prefix, e.g. `/`.
    pub prefix: &'static str,
}

impl GuideBot {
    fn answer(&self, ctx: &Context, text: &str) -> Option<String> {
        match text.strip_prefix(self.prefix)?.trim() {
            "ping" => Some("Pong!".to_owned()),
            "status" => Some(format!(
                "状态: {}",
                if ctx.is_connected() {
                    "在线"
                } else {
                    "离线"
                }
            )),
            _ => None,
        }
    }
}

impl EventHandler for GuideBot {
    async fn ready(&self, ctx: Context, ready: Ready) -> HandlerResult {
        tracing::info!(
            user = %ready.user.username,
            session = %ready.session_id,
            version = ?ready.version,
            shard = %ctx.shard(),
            "ready"
        );
        Ok(())
    }

    async fn at_message_create(&self, ctx: Context, message: Message) -> HandlerResult {
        if let Some(answer) = self.answer(&ctx, &message.plain_content()) {
            ctx.reply(&message, MessageBody::text(answer)).await?;
        }
        Ok(())
    }

    async fn group_at_message_create(&self, ctx: Context, message: GroupMessage) -> HandlerResult {
        if let Some(answer) = self.answer(&ctx, &message.plain_content()) {
            ctx.reply_group(&message, MessageBody::text(answer)).await?;
        }
        Ok(())
    }

    async fn c2c_message_create(&self, ctx: Context, message: C2cMessage) -> HandlerResult {
        if let Some(answer) = self.answer(&ctx, &message.plain_content()) {
            ctx.reply_c2c(&message, MessageBody::text(answer)).await?;
        }
        Ok(())
    }
}

/// The client: intents checked against the table, then validated with the platform (one trial
/// Identify, spaced with the shards' identifies) before anything connects; two shards, and a
/// production reconnect/heartbeat policy.
pub fn client(
    token: Token,
    api_base: &str,
    token_url: &str,
) -> Result<Client<GuideBot>, qqbot::protocol::IntentError> {
    let intents = Intents::parse("public_guild_messages,group_and_c2c_event")?;
    Ok(Client::new(
        token,
        intents,
        GuideBot { prefix: "/" },
        Environment::Production,
    )
    .with_api_base(api_base)
    .with_token_url(token_url)
    .with_shards(ShardSelection::Count(2))
    .with_reconnect(ReconnectConfig {
        max_delay: Duration::from_secs(60),
        ..ReconnectConfig::default() // never gives up on the network
    })
    .with_heartbeat(HeartbeatConfig {
        timeout: Some(Duration::from_secs(60)),
        ..HeartbeatConfig::default()
    })
    .with_event_buffer_size(2000)
    .with_intent_validation(true))
}

/// One line of metrics and diagnostics (what the loop in `main` logs every 30 s).
pub fn report(client: &Client<GuideBot>) -> Option<String> {
    let m = client.metrics()?;
    let d = client.diagnostics()?;
    Some(format!(
        "events received {} processed {}, reconnects {}, resumes {}, {:.1} events/s; \
         connects {}/{} ({:.0}% ok), {}/{} shards active",
        m.total.events_received,
        m.total.events_processed,
        d.reconnects,
        d.resumes,
        d.events_per_sec,
        d.connect_successes,
        d.connect_attempts,
        d.success_rate.unwrap_or(0.0) * 100.0,
        d.active_shards,
        d.shards,
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,qqbot::gateway=debug")),
        )
        .init();
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let token = Token::new(
        std::env::var("QQBOT_APP_ID")?,
        std::env::var("QQBOT_SECRET")?,
    );
    let client = client(
        token,
        &env("QQBOT_API_BASE", qqbot::http::api::API_BASE),
        &env("QQBOT_TOKEN_URL", qqbot::client::TOKEN_URL),
    )?;
    let stop = client.shutdown_handle();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.shutdown();
    });
    let mut every = tokio::time::interval(Duration::from_secs(30));
    let run = client.start();
    tokio::pin!(run);
    loop {
        tokio::select! {
            result = &mut run => return Ok(result?),
            _ = every.tick() => {
                if let Some(line) = report(&client) {
                    tracing::info!("{line}");
                }
            }
        }
    }
}
