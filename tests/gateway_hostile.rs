//! A hostile gateway: a raw TCP server that completes the WebSocket handshake, sends a valid
//! Hello, then a frame that breaks the protocol. The client must name the protocol error (not a
//! bare 1006 "abnormal closure"), keep running, and reconnect.

mod hostile_support;

use std::time::Duration;

use hostile_support::{Hostile, HostileServer, bad_frames};
use qqbot::gateway::{Cause, Cluster, GatewayConfig, ItemKind};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(30);

/// Run one hostile case: returns the first close the client reports.
async fn first_close(bad: Vec<u8>) -> (Option<u16>, String, Cause) {
    let server = HostileServer::start(Hostile::sending(bad)).await;
    let config = GatewayConfig::new(
        "1020304050".to_owned(),
        qqbot::Secret::from("hostile-secret"),
        server.api_base(),
        server.token_url(),
    );
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
    close
}

#[tokio::test]
async fn hostile_frames_are_named_as_protocol_errors() {
    for (what, bad, expect) in bad_frames() {
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
