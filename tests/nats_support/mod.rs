//! A NATS server with JetStream for tests: `nats-server -js` on a free loopback port with a
//! temporary store directory, killed and removed on drop.
//!
//! Without `nats-server` on the PATH, [`NatsServer::start`] returns `None` (the test skips with a
//! note) unless `QQBOT_REQUIRE_NATS=1` (CI), where it panics with the install hint.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A running `nats-server -js`.
pub struct NatsServer {
    /// `nats://127.0.0.1:<port>`.
    pub url: String,
    port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl NatsServer {
    /// Start a server, or `None` when `nats-server` is not installed (and not required).
    pub fn start() -> Option<NatsServer> {
        if !installed() {
            if std::env::var("QQBOT_REQUIRE_NATS").as_deref() == Ok("1") {
                panic!(
                    "nats-server is not installed but QQBOT_REQUIRE_NATS=1: apt-get install -y nats-server"
                );
            }
            eprintln!(
                "skipping: nats-server is not installed (apt-get install -y nats-server; set QQBOT_REQUIRE_NATS=1 to fail instead)"
            );
            return None;
        }
        let mut dir = tempfile::tempdir().expect("temporary store directory");
        // A port that was free a moment ago can be taken before the server binds it: retry.
        for _ in 0..5 {
            let port = free_port();
            let mut server = NatsServer {
                url: format!("nats://127.0.0.1:{port}"),
                port,
                child: None,
                dir,
            };
            server.spawn();
            if server.wait_ready() {
                return Some(server);
            }
            server.kill();
            dir = std::mem::replace(&mut server.dir, tempfile::tempdir().expect("tempdir"));
        }
        panic!("nats-server did not start on a free port in 5 tries");
    }

    /// Kill the server (SIGKILL) and wait for it; the store directory stays.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start the server again on the same port with the same store (after [`kill`](Self::kill)).
    pub fn restart(&mut self) {
        self.kill();
        // The port was just released: give the OS a bounded number of tries to hand it back.
        for _ in 0..20 {
            self.spawn();
            if self.wait_ready() {
                return;
            }
            self.kill();
        }
        panic!("nats-server did not come back on port {}", self.port);
    }

    fn spawn(&mut self) {
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-sd")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
    }

    /// Poll until the port accepts connections (bounded), or the process exits.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(_)) = child.try_wait()
            {
                return false; // it exited (port taken)
            }
            if TcpStream::connect_timeout(
                &([127, 0, 0, 1], self.port).into(),
                Duration::from_millis(200),
            )
            .is_ok()
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(25)); // poll interval, bounded by the deadline
        }
        false
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        // The TempDir removes the store directory.
    }
}

fn installed() -> bool {
    Command::new("nats-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}
