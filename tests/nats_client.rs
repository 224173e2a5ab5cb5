//! Bot logic without a gateway connection: events published by `qqbot::nats::Publisher` (as a
//! gateway process would) reach a `Client`'s handlers through `NatsSource` + `run_items`, with
//! their shard, `s` and id. Needs nats-server (skipped with a note unless QQBOT_REQUIRE_NATS=1).

mod nats_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use qqbot::client::{Client, Context, EventHandler, HandlerResult, Token};
use qqbot::gateway::{Dispatch, GatewayItem, ItemKind, ShardId};
use qqbot::http::{Api, StaticToken};
use qqbot::models::Message;
use qqbot::nats::{ConsumeConfig, NatsSource, PublishConfig, Publisher};
use qqbot::protocol::{Envelope, Intents};

const WAIT: Duration = Duration::from_secs(10);

fn dispatch(shard: ShardId, s: u64, content: &str) -> GatewayItem {
    let d = format!(
        r#"{{"id":"m{s}","content":"{content}","channel_id":"c1","guild_id":"g1","author":{{"id":"u1","username":"u"}},"timestamp":"2026-12-02T10:00:00+08:00"}}"#
    );
    let frame: Arc<str> = Arc::from(format!(
        r#"{{"op":0,"s":{s},"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:{}:{s}","d":{d}}}"#,
        shard.id
    ));
    let env = Envelope::peek(&frame).unwrap();
    let raw = env.d.unwrap().get();
    let start = raw.as_ptr() as usize - frame.as_ptr() as usize;
    GatewayItem {
        shard,
        received_at: Utc::now(),
        kind: ItemKind::Dispatch(Dispatch::new(
            Some(s),
            "AT_MESSAGE_CREATE".into(),
            env.id.as_deref(),
            frame.clone(),
            start..start + raw.len(),
        )),
    }
}

/// Shard, `s`, event id and content of each handled message.
type Handled = (u32, Option<u64>, Option<String>, String);

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Handled>>>);

impl EventHandler for Seen {
    async fn at_message_create(&self, ctx: Context, message: Message) -> HandlerResult {
        self.0.lock().unwrap().push((
            ctx.shard().id,
            ctx.seq(),
            ctx.event_id().map(str::to_owned),
            message.content,
        ));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_run_on_events_read_from_the_stream() {
    let Some(nats) = nats_support::NatsServer::start() else {
        return;
    };
    let mut publisher = Publisher::start(PublishConfig::new(nats.url.clone(), "102"))
        .await
        .unwrap();
    let shards = [ShardId { id: 0, count: 2 }, ShardId { id: 1, count: 2 }];
    for (n, shard) in shards.iter().cycle().take(6).enumerate() {
        publisher
            .handle(&dispatch(*shard, n as u64 + 1, &format!("hello {n}")), true)
            .await;
    }
    let stats = publisher.close(WAIT).await;
    assert_eq!((stats.acked, stats.unacked), (6, 0));

    let (source, items) = NatsSource::start(ConsumeConfig::new(nats.url.clone()))
        .await
        .unwrap();
    let seen = Seen::default();
    let client = Client::new(
        Token::new("102", "secret"),
        Intents::default_granted(),
        seen.clone(),
        qqbot::client::Environment::Production,
    );
    let api = Api::new("http://127.0.0.1:9", "102", StaticToken::new("t"));
    let run = tokio::spawn(async move { client.run_items(api, items).await });
    let deadline = tokio::time::Instant::now() + WAIT;
    while seen.0.lock().unwrap().len() < 6 {
        assert!(tokio::time::Instant::now() < deadline, "handlers ran");
        tokio::time::sleep(Duration::from_millis(10)).await; // polling, bounded
    }
    source.close().await;
    tokio::time::timeout(WAIT, run)
        .await
        .expect("the client ends with the stream")
        .unwrap()
        .unwrap();
    let mut got = seen.0.lock().unwrap().clone();
    got.sort();
    assert_eq!(got.len(), 6);
    assert_eq!(
        got[0],
        (
            0,
            Some(1),
            Some("AT_MESSAGE_CREATE:0:1".to_owned()),
            "hello 0".to_owned()
        )
    );
    assert_eq!(got.iter().filter(|g| g.0 == 1).count(), 3, "both shards");
}
