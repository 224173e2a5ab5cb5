//! A secret reset while `listen` runs: the next token fetch is refused, and `listen` stops with
//! an authentication failure (exit 4), not "gave up … check the network path" (exit 1).

mod cli_support;

use cli_support::{Harness, WAIT, quiet, run};
use qqbot::emulator::EmulatorEvent;

#[test]
fn a_secret_revoked_mid_run_exits_4_with_the_cause() {
    let h = Harness::start(quiet());
    let mut signals = h.emu.subscribe();
    let fault_url = format!("{}/_emulator/fault", h.emu.api_base());
    // Once `listen` has a session, the secret is reset: tokens die, the connection closes 4004,
    // and the refetch with the old secret is refused (100016).
    let revoked = h.rt.spawn(async move {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Ok(EmulatorEvent::Identified { .. }) = signals.recv().await {
                    break;
                }
            }
        })
        .await
        .expect("listen identifies");
        let response = reqwest::Client::new()
            .post(fault_url)
            .json(&serde_json::json!({"kind": "revoke_secret"}))
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        body["affected"].as_u64()
    });
    let (stdout, stderr, code) =
        run(h
            .qqbot()
            .args(["listen", "--json", "--include-control", "-i", "guilds"]));
    let affected = h.rt.block_on(revoked).unwrap();
    assert_eq!(affected, Some(1), "the fault reached the session");
    assert_eq!(code, 4, "authentication failure:\n{stderr}");
    assert!(
        stderr.contains("refused the credentials"),
        "the cause is named:\n{stderr}"
    );
    assert!(!stderr.contains("gave up"), "{stderr}");
    // The NDJSON says it too: the 4004 close, then the shard's fatal line with its typed cause.
    let kinds: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert!(
        kinds
            .iter()
            .any(|v| v["kind"] == "close" && v["code"] == 4004),
        "{stdout}"
    );
    let fatal = kinds.last().expect("lines");
    assert_eq!(fatal["kind"], "fatal", "{stdout}");
    assert_eq!(fatal["cause"], "auth_failed", "{stdout}");
}
