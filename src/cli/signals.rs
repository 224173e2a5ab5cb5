//! Stopping on a signal. Ctrl-C (SIGINT) and, on Unix, SIGTERM (what `kill`, `timeout`,
//! `docker stop`, systemd and Kubernetes send) and SIGHUP (the terminal or the SSH connection
//! went away) all ask for the same clean stop: the sessions close, buffered events are written,
//! the summary is printed. Then the exit code says which one it was: 130 for SIGINT, 143 for
//! SIGTERM, 129 for SIGHUP, the codes a shell reports for a process those signals kill, so
//! scripts see what they saw before, only after a clean close. (`nohup` still works: a SIGHUP
//! that was ignored when qqbot started stays ignored. Off Linux SIGHUP keeps its default.)
//!
//! Once [`StopSignals::new`] has run, none of them kills the process any more (the handler
//! stays installed for the life of the process), so a command that creates it must wait on it
//! for as long as it runs; a second signal while closing is its cue to abort
//! ([`StopSignals::abort_on_next`]).

use super::exit::{CliError, Exit};

/// Which signal asked for the stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP: the controlling terminal (or the SSH session) hung up.
    Hangup,
}

impl Stop {
    /// The exit code after the clean stop: 130, 143 or 129.
    pub fn exit(self) -> Exit {
        match self {
            Stop::Interrupt => Exit::Interrupted,
            Stop::Terminate => Exit::Terminated,
            Stop::Hangup => Exit::HungUp,
        }
    }

    /// `interrupted` or `terminated`, for messages.
    pub fn past_tense(self) -> &'static str {
        match self {
            Stop::Interrupt => "interrupted",
            Stop::Terminate => "terminated",
            Stop::Hangup => "hung up",
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP, listened for from [`new`](Self::new) on: a signal that arrives before
/// [`recv`](Self::recv) is polled is kept, not lost.
#[derive(Debug)]
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    /// `None` when SIGHUP was ignored at start (`nohup`), or off Linux: it is left as it was.
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Install the handlers (inside a tokio runtime).
    pub fn new() -> Result<StopSignals, CliError> {
        Self::install().map_err(|e| {
            CliError::failure("cannot listen for Ctrl-C, SIGTERM and SIGHUP").caused_by(&e)
        })
    }

    fn install() -> std::io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
                hangup: if handle_hangup() {
                    Some(signal(SignalKind::hangup())?)
                } else {
                    None
                },
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignals {})
        }
    }

    /// The next stop signal (cancel-safe: one that arrives while this is not polled is kept).
    pub async fn recv(&mut self) -> Stop {
        #[cfg(unix)]
        {
            tokio::select! {
                Some(()) = self.interrupt.recv() => Stop::Interrupt,
                Some(()) = self.terminate.recv() => Stop::Terminate,
                Some(()) = async {
                    match &mut self.hangup {
                        Some(hangup) => hangup.recv().await,
                        None => None,
                    }
                } => Stop::Hangup,
                else => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => Stop::Interrupt,
                Err(_) => std::future::pending().await,
            }
        }
    }

    /// From now on, a further signal ends the process at once with its exit code (the clean
    /// stop is under way and the user does not want to wait for it).
    pub fn abort_on_next(mut self) {
        tokio::spawn(async move {
            let stop = self.recv().await;
            eprintln!("qqbot: {} again, aborting", stop.past_tense());
            std::process::exit(stop.exit() as i32);
        });
    }
}

/// Whether to take SIGHUP over: on Linux when it is not ignored (`nohup` leaves it ignored, and
/// a handler installed over that would undo what the user asked for), read from the kernel's
/// `SigIgn` mask in `/proc/self/status`. Elsewhere SIGHUP keeps its default.
#[cfg(unix)]
fn handle_hangup() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        // Bit n - 1 is signal n; SIGHUP is 1.
        .is_some_and(|ignored| ignored & 1 == 0)
}
