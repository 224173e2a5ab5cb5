//! A hostile gateway: a raw TCP server that completes the WebSocket handshake, sends a valid
//! Hello, then a frame that breaks the protocol. The client must name the protocol error (not a
//! bare 1006 "abnormal closure"), keep running, and reconnect.

use std::time::Duration;

use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};
use qqbot::gateway::{Cause, Cluster, GatewayConfig, ItemKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

const WAIT: Duration = Duration::from_secs(30);

/// Read the upgrade request and answer it.
async fn handshake(socket: &mut TcpStream) {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        assert!(request.len() < 16 * 1024, "request too long");
        socket.read_exact(&mut byte).await.unwrap();
        request.push(byte[0]);
    }
    let text = String::from_utf8(request).unwrap();
    let key = text
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim().to_owned())
        })
        .expect("a websocket key");
    let accept = derive_accept_key(key.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    socket.write_all(response.as_bytes()).await.unwrap();
}

fn text_frame(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![0x81, payload.len() as u8];
    frame.extend_from_slice(payload);
    frame
}

/// Run one hostile case: returns the first close the client reports.
async fn first_close(bad: Vec<u8>) -> (Option<u16>, String, Cause) {
    let emu = Emulator::start(EmulatorConfig {
        scenario: Scenario::Quiet,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/websocket", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        handshake(&mut socket).await;
        socket
            .write_all(&text_frame(
                br#"{"op":10,"d":{"heartbeat_interval":41250}}"#,
            ))
            .await
            .unwrap();
        socket.write_all(&bad).await.unwrap();
        // Keep the socket open: the client must end the connection itself.
        let mut sink = [0u8; 1024];
        while let Ok(n) = socket.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    });
    let mut config = GatewayConfig::new(
        emu.config().app_id.clone(),
        emu.config().secret.clone(),
        emu.api_base(),
        emu.token_url(),
    );
    config.gateway_url = Some(url);
    let (cluster, mut items) = Cluster::start(config).await.unwrap();
    let close = timeout(WAIT, async {
        loop {
            let item = items.recv().await.expect("items");
            if let ItemKind::Closed {
                code,
                reason,
                cause,
                ..
            } = item.kind
            {
                return (code, reason, cause);
            }
        }
    })
    .await
    .expect("a close item");
    cluster.shutdown().await;
    server.abort();
    close
}

#[tokio::test]
async fn hostile_frames_are_named_as_protocol_errors() {
    let masked = {
        let payload = br#"{"op":11}"#;
        let mask = [1u8, 2, 3, 4];
        let mut frame = vec![0x81, 0x80 | payload.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        frame
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "invalid UTF-8",
            text_frame(&[0x7b, 0xff, 0xfe, 0x7d]),
            "UTF-8",
        ),
        ("masked server frame", masked, "protocol error"),
        ("RSV bits", vec![0xC1, 0x02, b'{', b'}'], "protocol error"),
        ("reserved opcode", vec![0x83, 0x00], "protocol error"),
        (
            "long control frame",
            [vec![0x89, 126, 0, 200], vec![0u8; 200]].concat(),
            "protocol error",
        ),
    ];
    for (what, bad, expect) in cases {
        let (code, reason, cause) = first_close(bad).await;
        assert_eq!(code, None, "{what}: no close code was received");
        assert!(
            matches!(&cause, Cause::Transport { error } if error.contains(expect)),
            "{what}: {cause:?}"
        );
        assert!(
            reason.contains(expect),
            "{what}: the reason names it: {reason}"
        );
        assert!(
            !reason.contains("abnormal closure"),
            "{what}: not a bare 1006: {reason}"
        );
    }
}
