//! `qqbot emulate` through the real binary: it prints its URLs, serves the platform, and stops
//! cleanly on Ctrl-C (SIGINT) with exit 130; its flags are checked while parsing arguments.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// `qqbot --json emulate` on a free port with the quiet scenario and `extra` flags, and the JSON
/// line of URLs and credentials it prints first.
fn spawn_emulate(extra: &[&str]) -> (Child, Value) {
    let mut child = cli_support::qqbot_command()
        .args([
            "--json",
            "emulate",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            "quiet",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let info = serde_json::from_str(&first).expect("a JSON line with the URLs");
    (child, info)
}

/// A token from the emulator that `info` describes.
async fn token(client: &reqwest::Client, info: &Value) -> Value {
    let url = info["token_url"].as_str().unwrap();
    cli_support::fetch_token(
        client,
        url,
        &info["app_id"],
        info["secret"].as_str().unwrap(),
    )
    .await
}

/// `GET /gateway/bot` of the emulator that `info` describes, with a token from it.
async fn gateway_bot(info: &Value) -> Value {
    let client = reqwest::Client::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        let token = token(&client, info).await;
        client
            .get(format!(
                "{}/gateway/bot",
                info["api_base"].as_str().unwrap()
            ))
            .header(
                "Authorization",
                format!("QQBot {}", token["access_token"].as_str().unwrap()),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
    .await
    .unwrap()
}

/// `qqbot emulate ARGS` refused while parsing arguments: exit 2; returns stderr. An emulator
/// that wrongly starts is killed after 10 s and fails the test instead of hanging it.
fn usage_error(args: &[&str]) -> String {
    let child = cli_support::qqbot_command()
        .args(["emulate", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let (done, waited) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    let Ok(out) = waited.recv_timeout(Duration::from_secs(10)) else {
        let _ = Command::new("kill").arg(&pid).status();
        panic!("{args:?} was accepted: the emulator started");
    };
    let out = out.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    stderr
}

/// `signal` to `child`, and its exit code (bounded wait).
async fn stop(child: Child, signal: &str) -> Option<i32> {
    cli_support::kill(child.id(), signal);
    let mut child = child;
    let status = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .unwrap_or_else(|_| panic!("emulate exits after {signal}"))
    .unwrap()
    .unwrap();
    status.code()
}

/// SIGTERM stops it as Ctrl-C does, with 143.
#[tokio::test]
async fn emulate_stops_on_sigterm_with_exit_143() {
    let (child, _) = spawn_emulate(&[]);
    assert_eq!(stop(child, "-TERM").await, Some(143));
}

#[tokio::test]
async fn emulate_prints_urls_serves_and_stops_on_ctrl_c() {
    let (child, info) = spawn_emulate(&[]);
    let api_base = info["api_base"].as_str().unwrap();
    assert!(api_base.starts_with("http://127.0.0.1:"));
    assert_eq!(
        info["gateway_url"].as_str().unwrap(),
        format!("{}/websocket", api_base.replace("http", "ws"))
    );

    let client = reqwest::Client::new();
    let token = tokio::time::timeout(Duration::from_secs(10), token(&client, &info))
        .await
        .unwrap();
    assert_eq!(token["expires_in"], "7200");

    assert_eq!(stop(child, "-INT").await, Some(130));
}

/// A Hello interval outside what a client accepts (every millisecond, or about never) is a
/// usage error naming the range, not an emulator that tells clients to beat every millisecond.
#[test]
fn emulate_refuses_a_heartbeat_interval_out_of_range() {
    for bad in ["0", "999", "600001", "18446744073709551615"] {
        let stderr = usage_error(&["--heartbeat-interval", bad]);
        assert!(stderr.contains("1000..=600000"), "{bad}: {stderr}");
    }
}

/// `--gateway-url`: what `/gateway/bot` hands out (and what `emulate` prints), for an emulator
/// reached through another address; anything but a ws:// or wss:// URL is a usage error.
#[tokio::test]
async fn emulate_hands_out_the_gateway_url_it_is_given() {
    let advertised = "ws://localhost:9000/websocket";
    let (mut child, info) = spawn_emulate(&["--gateway-url", advertised]);
    assert_eq!(info["gateway_url"], advertised);
    let bot = gateway_bot(&info).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(bot["url"], advertised, "{bot}");

    for bad in [
        "http://localhost:9000/websocket",
        "ws://",
        "ws:///websocket",
        "localhost:9000",
    ] {
        let stderr = usage_error(&["--gateway-url", bad]);
        assert!(stderr.contains("--gateway-url"), "{bad}: {stderr}");
    }
}

/// `--session-starts-left`: an app that has spent most of today's budget, as `/gateway/bot`
/// reports it; more than the daily 1000 is a usage error.
#[tokio::test]
async fn emulate_starts_with_the_session_budget_it_is_given() {
    let (mut child, info) = spawn_emulate(&["--session-starts-left", "3"]);
    let bot = gateway_bot(&info).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(bot["session_start_limit"]["remaining"], 3, "{bot}");
    assert_eq!(bot["session_start_limit"]["total"], 1000, "{bot}");
    let stderr = usage_error(&["--session-starts-left", "1001"]);
    assert!(stderr.contains("--session-starts-left"), "{stderr}");
}
