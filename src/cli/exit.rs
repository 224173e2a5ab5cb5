//! Exit codes and the error type the binary prints (DESIGN.md §5).

use std::fmt;

/// Documented, stable exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Ok = 0,
    /// 1: a runtime failure.
    Failure = 1,
    /// 2: bad usage (unknown flag, unknown intent name, bad value).
    Usage = 2,
    /// 4: authentication failed (bad app id or secret, token refused).
    Auth = 4,
    /// 5: the gateway refused the session (intents, banned, offline).
    Refused = 5,
    /// 130: interrupted by Ctrl-C (SIGINT), after a clean stop.
    Interrupted = 130,
    /// 143: terminated by SIGTERM, after the same clean stop.
    Terminated = 143,
    /// 129: the terminal hung up (SIGHUP), after the same clean stop.
    HungUp = 129,
}

/// An error for the user: what failed, the causes, a hint, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// Exit code.
    pub exit: Exit,
    /// One line: what failed.
    pub message: String,
    /// Underlying causes, outermost first.
    pub causes: Vec<String>,
    /// What to do about it.
    pub hint: Option<String>,
    /// The platform's error code, when the platform answered (for `send --json`).
    pub platform_code: Option<u64>,
    /// The platform's trace id, when it sent one.
    pub trace_id: Option<String>,
}

impl CliError {
    /// A new error with an exit code and message.
    pub fn new(exit: Exit, message: impl Into<String>) -> CliError {
        CliError {
            exit,
            message: message.into(),
            causes: Vec::new(),
            hint: None,
            platform_code: None,
            trace_id: None,
        }
    }

    /// Usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::new(Exit::Usage, message)
    }

    /// Runtime failure (exit 1).
    pub fn failure(message: impl Into<String>) -> CliError {
        CliError::new(Exit::Failure, message)
    }

    /// The reader of stdout went away (`qqbot intents list | head -3`): not a failure; main
    /// exits 0 without printing anything.
    pub fn broken_pipe() -> CliError {
        CliError::new(Exit::Ok, "broken pipe")
    }

    /// Whether this is the quiet broken-pipe exit.
    pub fn is_broken_pipe(&self) -> bool {
        self.exit == Exit::Ok
    }

    /// Add a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> CliError {
        self.hint = Some(hint.into());
        self
    }

    /// Add one cause line.
    pub fn cause(mut self, text: impl Into<String>) -> CliError {
        self.causes.push(text.into());
        self
    }

    /// Add the source chain of an error as causes.
    pub fn caused_by(mut self, err: &(dyn std::error::Error + 'static)) -> CliError {
        let mut source = Some(err);
        while let Some(e) = source {
            self.causes.push(e.to_string());
            source = e.source();
        }
        self
    }

    /// The error as one JSON object (what `send --json` writes on stdout on failure):
    /// `{"status":"error","exit":N,"error":"…","causes":[…],"hint":"…"|null,"code":N|null,
    /// "trace_id":"…"|null}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "status": "error",
            "exit": self.exit as u8,
            "error": self.message,
            "causes": self.causes,
            "hint": self.hint,
            "code": self.platform_code,
            "trace_id": self.trace_id,
        })
    }

    /// Render as `qqbot: error: …`, `caused by: …` and `hint: …` lines.
    pub fn render(&self) -> String {
        let mut out = format!("qqbot: error: {}\n", self.message);
        for cause in &self.causes {
            out.push_str(&format!("  caused by: {cause}\n"));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("  hint: {hint}\n"));
        }
        out
    }
}

/// A failed bind (`emulate --listen`, `replay --serve`, `listen --webhook`): the causes, and when
/// the address is taken, a hint that another emulator or replay may hold it.
pub fn bind_error(
    message: String,
    err: &(dyn std::error::Error + 'static),
    flag: &str,
) -> CliError {
    let mut in_use = false;
    let mut source = Some(err);
    while let Some(e) = source {
        in_use |= e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse)
            || e.to_string().contains("Address already in use");
        source = e.source();
    }
    let err = CliError::failure(message).caused_by(err);
    if in_use {
        err.hint(format!(
            "another qqbot emulator or replay (or another program) may be on that port; use {flag} 127.0.0.1:0 for a free port"
        ))
    } else {
        err.hint(format!("pick another address, e.g. {flag} 127.0.0.1:0"))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<std::io::Error> for CliError {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            return CliError::broken_pipe();
        }
        CliError::failure("I/O error").caused_by(&err)
    }
}

/// Result type of every subcommand.
pub type CliResult<T = Exit> = Result<T, CliError>;
