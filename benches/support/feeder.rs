//! A minimal gateway that only floods: Hello, READY on Identify, then dispatches written in
//! batches (one write per [`BATCH`] frames) until the client goes away or a cap is reached. The
//! dispatches are framed here and written on the socket directly: through `format!` and
//! tungstenite's sink the feeder cost more CPU per frame than the bare reader it feeds, and on
//! a two-core machine that CPU is taken from the client being measured.
//!
//! The emulator's flood writes and flushes one frame at a time and does session bookkeeping per
//! frame, so on a small machine it, not the client, sets the pace. This feeder removes that
//! ceiling, so the bare-reader / `Shard` ratio measures the client. Its frames are the real-shaped
//! corpus of [`super::corpus`] (guild, group and C2C messages with the platform's escapes).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// Frames per write.
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
    // A second handle on the same socket: once READY is out, the flood is written on it as
    // pre-framed bytes, past tungstenite (see `push_frame`).
    let raw = {
        let std = tcp.into_std().map_err(|e| e.to_string())?;
        let dup = std.try_clone().map_err(|e| e.to_string())?;
        (
            tokio::net::TcpStream::from_std(std).map_err(|e| e.to_string())?,
            dup,
        )
    };
    let (tcp, dup) = raw;
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
    // From here on the socket is used raw; the WebSocket handle is kept (unpolled) so that
    // nothing is closed or sent by it.
    let (mut rx, mut tx) = tokio::net::TcpStream::from_std(dup)
        .map_err(|e| e.to_string())?
        .into_split();
    // Drain (and ignore) whatever the client sends; it ends when the client goes away.
    let reader = tokio::spawn(async move {
        let mut sink = vec![0u8; 16 * 1024];
        while let Ok(1..) = rx.read(&mut sink).await {}
    });
    // The hand-written frame is the one `format!` would write.
    let (t, d) = &pool[0];
    let mut check = Vec::new();
    write_dispatch(&mut check, u64::MAX - 1, t, d);
    let s = u64::MAX - 1;
    assert_eq!(
        check,
        format!(r#"{{"op":0,"s":{s},"t":"{t}","id":"{t}:{s:032x}","d":{d}}}"#).into_bytes()
    );
    let started = Instant::now();
    let mut s = 1u64;
    let mut batch = Vec::with_capacity(BATCH * 1024);
    let mut payload = Vec::with_capacity(4096);
    while s < MAX_FRAMES && started.elapsed() < MAX_FEED && !reader.is_finished() {
        batch.clear();
        for _ in 0..BATCH {
            s += 1;
            let (t, d) = &pool[(s as usize) % pool.len()];
            payload.clear();
            write_dispatch(&mut payload, s, t, d);
            push_frame(&mut batch, &payload);
        }
        if tx.write_all(&batch).await.is_err() {
            break;
        }
    }
    reader.abort();
    drop(ws);
    Ok(())
}

/// `{"op":0,"s":S,"t":"T","id":"T:<S as 32 hex digits>","d":D}`, the frame the flood sends,
/// appended piece by piece (`format!`'s padded hex goes a character at a time).
fn write_dispatch(out: &mut Vec<u8>, s: u64, t: &str, d: &str) {
    use std::io::Write;
    out.extend_from_slice(br#"{"op":0,"s":"#);
    write!(out, "{s}").expect("writing to a Vec");
    out.extend_from_slice(br#","t":""#);
    out.extend_from_slice(t.as_bytes());
    out.extend_from_slice(br#"","id":""#);
    out.extend_from_slice(t.as_bytes());
    out.push(b':');
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend((0..32).rev().map(|k| {
        // Nibbles past the 16 of a u64 are zero, as `{:032x}` pads them.
        let nibble = if k < 16 { (s >> (4 * k)) & 0xf } else { 0 };
        HEX[nibble as usize]
    }));
    out.extend_from_slice(br#"","d":"#);
    out.extend_from_slice(d.as_bytes());
    out.push(b'}');
}

/// One unmasked, final text frame (RFC 6455 §5.2) as a server writes it.
fn push_frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.push(0x81);
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}
