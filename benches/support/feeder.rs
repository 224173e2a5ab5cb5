//! A minimal gateway that only floods: Hello, READY on Identify, then dispatches written in
//! batches (one flush per [`BATCH`] frames) until the client goes away or a cap is reached.
//!
//! The emulator's flood writes and flushes one frame at a time and does session bookkeeping per
//! frame, so on a small machine it, not the client, sets the pace. This feeder removes that
//! ceiling, so the bare-reader / `Shard` ratio measures the client. Its frames are the real-shaped
//! corpus of [`super::corpus`] (guild, group and C2C messages with the platform's escapes).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// Frames per flush.
const BATCH: usize = 64;
/// Most frames one connection gets.
const MAX_FRAMES: u64 = 50_000_000;
/// Longest one connection is fed.
const MAX_FEED: Duration = Duration::from_secs(90);

/// Pre-rendered event pool: (t, d) pairs of the real-shaped corpus ([`super::corpus`]).
fn pool() -> Vec<(String, String)> {
    (1..=1000)
        .map(|seq| {
            let frame = super::corpus::frame(seq);
            let env = qqbot::protocol::Envelope::peek(&frame).expect("corpus frame");
            (
                env.t.expect("t").into_owned(),
                env.d.expect("d").get().to_owned(),
            )
        })
        .collect()
}

/// Bind on 127.0.0.1, return the `ws://` URL and serve connections (one at a time is enough)
/// until `stop` resolves.
pub async fn serve(stop: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("ws://{}/websocket", listener.local_addr()?);
    use std::io::Write;
    std::io::stdout().flush()?;
    let pool = std::sync::Arc::new(pool());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            accepted = listener.accept() => {
                let (tcp, _) = accepted?;
                let _ = tcp.set_nodelay(true);
                let pool = pool.clone();
                tokio::spawn(async move {
                    let _ = feed(tcp, &pool).await;
                });
            }
        }
    }
}

async fn feed(tcp: tokio::net::TcpStream, pool: &[(String, String)]) -> Result<(), String> {
    let mut ws = tokio_tungstenite::accept_async(tcp)
        .await
        .map_err(|e| e.to_string())?;
    ws.send(Message::text(
        r#"{"op":10,"d":{"heartbeat_interval":41250}}"#,
    ))
    .await
    .map_err(|e| e.to_string())?;
    // Wait for Identify (op 2).
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .map_err(|_| "no identify".to_owned())?
            .ok_or("closed before identify")?
            .map_err(|e| e.to_string())?;
        if let Message::Text(text) = msg
            && text.as_str().contains("\"op\":2")
        {
            break;
        }
    }
    let ready = r#"{"op":0,"s":1,"t":"READY","id":"READY:bench","d":{"version":1,"session_id":"bench-session","user":{"id":"1","username":"bench","bot":true},"shard":[0,1]}}"#;
    ws.send(Message::text(ready))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sink, mut stream) = ws.split();
    // Drain (and ignore) whatever the client sends; it ends when the client goes away.
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    let started = Instant::now();
    let mut s = 1u64;
    'feed: while s < MAX_FRAMES && started.elapsed() < MAX_FEED {
        for _ in 0..BATCH {
            s += 1;
            let (t, d) = &pool[(s as usize) % pool.len()];
            let frame = format!(r#"{{"op":0,"s":{s},"t":"{t}","id":"{t}:{s:032x}","d":{d}}}"#);
            if sink.feed(Message::text(frame)).await.is_err() {
                break 'feed;
            }
        }
        if sink.flush().await.is_err() {
            break;
        }
        if reader.is_finished() {
            break;
        }
    }
    reader.abort();
    Ok(())
}
