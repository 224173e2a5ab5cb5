//! Stopping on a signal. Ctrl-C (SIGINT) and, on Unix, SIGTERM (what `kill`, `timeout`,
//! `docker stop`, systemd and Kubernetes send) both ask for the same clean stop: the sessions
//! close, buffered events are written, the summary is printed. Then the exit code says which one
//! it was: 130 for SIGINT, 143 for SIGTERM, the codes a shell reports for a process those
//! signals kill, so scripts see what they saw before, only after a clean close.
//!
//! Once [`StopSignals::new`] has run, neither signal kills the process any more (the handler
//! stays installed for the life of the process), so a command that creates it must wait on it
//! for as long as it runs; a second signal while closing is its cue to abort
//! ([`StopSignals::abort_on_next`]).

use std::io;

use super::exit::Exit;

/// Which signal asked for the stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Stop {
    /// The exit code after the clean stop: 130 or 143.
    pub fn exit(self) -> Exit {
        match self {
            Stop::Interrupt => Exit::Interrupted,
            Stop::Terminate => Exit::Terminated,
        }
    }

    /// `interrupted` or `terminated`, for messages.
    pub fn past_tense(self) -> &'static str {
        match self {
            Stop::Interrupt => "interrupted",
            Stop::Terminate => "terminated",
        }
    }
}

/// SIGINT and SIGTERM, listened for from [`new`](Self::new) on: a signal that arrives before
/// [`recv`](Self::recv) is polled is kept, not lost.
#[derive(Debug)]
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Install the handlers (inside a tokio runtime).
    pub fn new() -> io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
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
