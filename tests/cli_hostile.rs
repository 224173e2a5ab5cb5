//! Hostile platforms through the real binary: `qqbot listen --api-base` pointed at a raw server
//! that sends bad frames, recommends absurd shard counts or never answers `/gateway/bot`. Each
//! case checks the error line on stderr, the exit code, and (where memory was the problem) that
//! the process stays under an address-space limit.

mod cli_support;
mod hostile_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::Duration;

use hostile_support::{Hostile, HostileServer, bad_frames};

const WAIT: Duration = Duration::from_secs(30);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// `qqbot listen` against `server`, with throwaway credentials and no config file.
fn listen(server: &HostileServer, extra: &[&str]) -> Command {
    let mut cmd = cli_support::qqbot_command();
    cmd.env("QQBOT_APP_ID", "1020304050")
        .env("QQBOT_SECRET", "hostile-test-secret")
        .args(["--api-base", &server.api_base()])
        .args(["--token-url", &server.token_url()])
        .args(["listen", "--json"])
        .args(extra);
    cmd
}

fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            panic!("qqbot did not exit in time");
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

fn output_bounded(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).unwrap();
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        err.read_to_end(&mut buf).unwrap();
        buf
    });
    let status = wait_bounded(&mut child, WAIT * 2);
    Output {
        status,
        stdout: out_thread.join().unwrap(),
        stderr: err_thread.join().unwrap(),
    }
}

fn interrupt(child: &Child) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn bad_frames_through_the_binary_name_the_protocol_error_and_exit_1() {
    let rt = runtime();
    for (what, bad, expect) in bad_frames() {
        let server = rt.block_on(HostileServer::start(Hostile::sending(bad)));
        let out = output_bounded(listen(&server, &["--max-reconnects", "2"]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(
            !stderr.contains("abnormal closure"),
            "{what}: not a bare 1006: {stderr}"
        );
        // The close line names the protocol error, and so does the final error line.
        let broke = stderr
            .lines()
            .filter(|l| l.contains("the connection broke") && l.contains(expect))
            .count();
        assert_eq!(
            broke, 2,
            "{what}: one line per connection naming {expect:?}: {stderr}"
        );
        let error = stderr
            .lines()
            .find(|l| l.starts_with("qqbot: error: "))
            .unwrap_or_else(|| panic!("{what}: an error line: {stderr}"));
        assert!(
            error.contains("shard 0 stopped: gave up after 2"),
            "{what}: {error}"
        );
        assert!(
            error.contains(expect),
            "{what}: the error names the cause: {error}"
        );
        assert!(stderr.contains("summary:"), "{what}: {stderr}");
        assert!(
            server.upgrades.load(std::sync::atomic::Ordering::SeqCst) >= 1,
            "{what}: the binary reached the hostile gateway"
        );
        assert!(out.stdout.is_empty(), "{what}: no events, no output");
    }
}

#[test]
fn an_absurd_shard_count_is_refused_before_anything_is_allocated() {
    let rt = runtime();
    let server = rt.block_on(HostileServer::start(Hostile {
        shards: 100_000,
        ..Hostile::sending(Vec::new())
    }));
    // 100,000 shards cost over 2 GiB when they were allocated; under a 2 GiB address-space
    // limit the refusal must still come out as a clean usage error.
    let inner = listen(&server, &[]);
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={}", 2u64 << 30))
        .arg("--")
        .arg(inner.get_program())
        .args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let out = output_bounded(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("/gateway/bot recommends 100000 shards"),
        "{stderr}"
    );
    assert!(stderr.contains("--shard ID/COUNT"), "{stderr}");
    assert_eq!(
        server.upgrades.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no shard connected"
    );
}

#[test]
fn ctrl_c_while_gateway_bot_hangs_prints_the_summary_and_exits_130() {
    let rt = runtime();
    let server = rt.block_on(HostileServer::start(Hostile {
        hang_gateway_bot: true,
        ..Hostile::sending(Vec::new())
    }));
    let asked = server.gateway_bot_asked.clone();
    let waiting = rt.spawn(async move { asked.notified().await });
    let mut child = listen(&server, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    rt.block_on(async { tokio::time::timeout(WAIT, waiting).await })
        .expect("qqbot asks /gateway/bot")
        .unwrap();
    interrupt(&child);
    let status = wait_bounded(&mut child, WAIT);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted while starting"), "{stderr}");
    assert!(stderr.contains("summary: 0 event(s)"), "{stderr}");
}

#[test]
fn ctrl_c_during_a_1000_shard_start_prints_the_summary_and_exits_130() {
    use qqbot::emulator::{Emulator, EmulatorConfig, Scenario};
    let rt = runtime();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            scenario: Scenario::Quiet,
            shards: 1000,
            max_concurrency: 1,
            session_start_total: 10_000,
            ..EmulatorConfig::default()
        }))
        .unwrap();
    let mut signals = emu.subscribe();
    let mut child = cli_support::qqbot_command()
        .env("QQBOT_APP_ID", &emu.config().app_id)
        .env("QQBOT_SECRET", qqbot::emulator::DEFAULT_SECRET)
        .args([
            "--api-base",
            &emu.api_base(),
            "--token-url",
            &emu.token_url(),
        ])
        .args(["listen", "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read stderr all along (999 identify-wait lines would fill the pipe otherwise).
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        for line in stderr.lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let banner = lines.recv_timeout(WAIT).expect("a banner line");
    assert!(banner.contains("on 1000 shard(s)"), "{banner}");
    // The first shard identified; 999 are still waiting for their identify slot.
    rt.block_on(async {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Ok(qqbot::emulator::EmulatorEvent::Identified { .. }) = signals.recv().await
                {
                    return;
                }
            }
        })
        .await
    })
    .expect("a shard identifies");
    interrupt(&child);
    let status = wait_bounded(&mut child, WAIT);
    reader.join().unwrap();
    let rest: Vec<String> = lines.try_iter().collect();
    let rest = rest.join("\n");
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("summary:"), "{rest}");
    assert!(
        emu.sessions().len() < 1000,
        "interrupted before every shard identified"
    );
}
