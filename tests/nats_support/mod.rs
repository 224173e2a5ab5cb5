//! A real `nats-server -js` on a free loopback port with a temporary store directory, for the
//! NATS tests. `NatsServer::start` returns `None` (with a note) when nats-server is not
//! installed, unless `QQBOT_REQUIRE_NATS=1`, which makes that a failure (CI sets it).

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long the server may take to accept connections.
const READY: Duration = Duration::from_secs(10);

/// A running nats-server.
pub struct NatsServer {
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
    child: Option<Child>,
    dir: Option<TempDir>,
    port: u16,
    program: PathBuf,
}

fn program() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([
            "/usr/sbin".into(),
            "/usr/local/sbin".into(),
            "/usr/bin".into(),
        ])
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl NatsServer {
    /// Start `nats-server -js` on a free port; `None` when it is not installed (and not
    /// required).
    pub fn start() -> Option<NatsServer> {
        let Some(program) = program() else {
            if std::env::var("QQBOT_REQUIRE_NATS").is_ok_and(|v| v == "1") {
                panic!(
                    "nats-server is not installed but QQBOT_REQUIRE_NATS=1: install it (apt-get install -y nats-server)"
                );
            }
            eprintln!("skipped: nats-server is not installed (apt-get install -y nats-server)");
            return None;
        };
        // A port picked by binding 0 may be taken again before the server binds it: retry.
        for _ in 0..5 {
            let port = free_port();
            let mut server = NatsServer {
                url: format!("nats://127.0.0.1:{port}"),
                child: None,
                dir: None,
                port,
                program: program.clone(),
            };
            server.dir = Some(tempfile::tempdir().expect("a temporary store directory"));
            if server.spawn() {
                return Some(server);
            }
        }
        panic!("nats-server did not start on any of 5 free ports");
    }

    fn store(&self) -> PathBuf {
        self.dir.as_ref().expect("store dir").path().to_owned()
    }

    /// Spawn on `self.port`; true once the port accepts connections.
    fn spawn(&mut self) -> bool {
        let child = Command::new(&self.program)
            .args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-sd")
            .arg(self.store())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs");
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + READY;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(_)) = child.try_wait()
            {
                // Exited: most likely the port was taken.
                self.child = None;
                return false;
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return true;
            }
            // Bounded polling for the port to open.
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        false
    }

    /// Kill the server at once (SIGKILL); the store directory stays.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start it again on the same port with the same store directory.
    pub fn restart(&mut self) {
        self.kill();
        // The port was just released; the kernel may take a moment (bounded retries).
        for _ in 0..20 {
            if self.spawn() {
                return;
            }
        }
        panic!("nats-server did not restart on port {}", self.port);
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}
