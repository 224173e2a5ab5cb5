//! Close codes (PROTOCOL.md §5): what each means, what the docs say, and what qqbot does.
//!
//! The gateway obeys this table and `qqbot explain` prints it; there is no second copy.

use std::fmt;

/// What a client does after a close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAction {
    /// Reconnect at once and resume the session (no backoff).
    Resume,
    /// Wait (backoff), then reconnect and resume.
    BackoffThenResume,
    /// Forget the session; reconnect with backoff and identify afresh.
    Identify,
    /// Refresh the access token, then identify.
    RefreshTokenThenIdentify,
    /// Stop: retrying cannot help.
    Fatal,
}

impl CloseAction {
    /// A short description for humans.
    pub const fn describe(self) -> &'static str {
        match self {
            CloseAction::Resume => "reconnect at once and resume the session",
            CloseAction::BackoffThenResume => "back off, then reconnect and resume",
            CloseAction::Identify => "drop the session and identify again (with backoff)",
            CloseAction::RefreshTokenThenIdentify => "refresh the access token, then identify",
            CloseAction::Fatal => "stop: retrying cannot help",
        }
    }

    /// A stable machine name (NDJSON output).
    pub const fn key(self) -> &'static str {
        match self {
            CloseAction::Resume => "resume",
            CloseAction::BackoffThenResume => "backoff_resume",
            CloseAction::Identify => "identify",
            CloseAction::RefreshTokenThenIdentify => "refresh_token_identify",
            CloseAction::Fatal => "fatal",
        }
    }
}

impl fmt::Display for CloseAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One row of the close-code table.
#[derive(Debug, PartialEq, Eq)]
pub struct CloseInfo {
    /// First code of the row.
    pub code: u16,
    /// Last code of the row (same as `code` except for ranges such as 4900–4913).
    pub last: u16,
    /// The usual reason text or a short name.
    pub name: &'static str,
    /// Plain-language meaning.
    pub meaning: &'static str,
    /// What the official docs say (or where the code was observed).
    pub docs: &'static str,
    /// What qqbot does.
    pub action: CloseAction,
    /// Whether the code means the Identify asked for intents the app is not granted (what the
    /// intent probe reads as "denied").
    pub denies_intents: bool,
    /// A hint for the developer, where one helps. Worded for library users too: it names no
    /// CLI flag (the CLI adds its own wording for the codes where a flag helps).
    pub hint: Option<&'static str>,
}

/// The close-code table. Specific codes come before the ranges that contain them.
pub static CLOSE_CODES: &[CloseInfo] = &[
    CloseInfo {
        code: 1000,
        last: 1000,
        name: "normal closure",
        meaning: "the server closed the connection normally (for example while draining)",
        docs: "WebSocket standard; qqbot-nodejs treats a remote 1000 as a drain and reconnects",
        action: CloseAction::Resume,
        denies_intents: false,
        hint: None,
    },
    CloseInfo {
        code: 1001,
        last: 1001,
        name: "going away",
        meaning: "the server is going away (restart or deploy)",
        docs: "WebSocket standard",
        action: CloseAction::Resume,
        denies_intents: false,
        hint: None,
    },
    CloseInfo {
        code: 1005,
        last: 1005,
        name: "no status",
        meaning: "the connection closed without a status code",
        docs: "WebSocket standard; seen every ~5 min in tencent-connect/openclaw-qqbot#165",
        action: CloseAction::Resume,
        denies_intents: false,
        hint: None,
    },
    CloseInfo {
        code: 1006,
        last: 1006,
        name: "abnormal closure",
        meaning: "the TCP connection dropped without a close frame (network, NAT, proxy, sleep)",
        docs: "WebSocket standard; every SDK resumes",
        action: CloseAction::Resume,
        denies_intents: false,
        hint: Some(
            "frequent 1006s point at the network path: NAT timeouts, proxies, a sleeping laptop",
        ),
    },
    CloseInfo {
        code: 1011,
        last: 1011,
        name: "keepalive ping timeout",
        meaning: "a WebSocket-level keepalive timed out (client-side library, not QQ)",
        docs: "seen with botpy's aiohttp (tencent-connect/botpy#239)",
        action: CloseAction::Resume,
        denies_intents: false,
        hint: None,
    },
    CloseInfo {
        code: 4000,
        last: 4000,
        name: "closed by qqbot to resume",
        meaning: "qqbot's own close before reconnecting with the session kept (op 7, a zombie connection, no Hello, an invalid but resumable session, or shutdown); the platform does not send it",
        docs: "qqbot's choice: any code other than 1000/1001 keeps the session resumable on the platform",
        action: CloseAction::Resume,
        denies_intents: false,
        hint: None,
    },
    CloseInfo {
        code: 4001,
        last: 4001,
        name: "invalid opcode",
        meaning: "the client sent an opcode the gateway does not accept",
        docs: "official table: resume no, identify no",
        action: CloseAction::Identify,
        denies_intents: false,
        hint: Some("this is a client bug; capture it with `qqbot record` and report it"),
    },
    CloseInfo {
        code: 4002,
        last: 4002,
        name: "invalid payload",
        meaning: "the client sent a frame the gateway could not parse",
        docs: "official table: resume no, identify no",
        action: CloseAction::Identify,
        denies_intents: false,
        hint: Some("this is a client bug; capture it with `qqbot record` and report it"),
    },
    CloseInfo {
        code: 4004,
        last: 4004,
        name: "authentication failed",
        meaning: "the access token in Identify/Resume was invalid or expired",
        docs: "not in the official table; botpy, botgo and qqbot-nodejs refresh the token",
        action: CloseAction::RefreshTokenThenIdentify,
        denies_intents: false,
        hint: Some("if it repeats, check the app id and secret (`qqbot doctor`)"),
    },
    CloseInfo {
        code: 4006,
        last: 4006,
        name: "invalid session id",
        meaning: "the session cannot be resumed",
        docs: "official table: resume no, identify yes",
        action: CloseAction::Identify,
        denies_intents: false,
        hint: None,
    },
    CloseInfo {
        code: 4007,
        last: 4007,
        name: "invalid seq",
        meaning: "the seq sent in Resume is wrong",
        docs: "official table: resume no, identify yes",
        action: CloseAction::Identify,
        denies_intents: false,
        hint: None,
    },
    CloseInfo {
        code: 4008,
        last: 4008,
        name: "rate limited",
        meaning: "payloads were sent too fast, or sessions were started faster than max_concurrency per 5 s",
        docs: "official table: resume yes, identify yes; reconnect and obey the rate limit",
        action: CloseAction::BackoffThenResume,
        denies_intents: false,
        hint: Some(
            "space Identify calls: at most max_concurrency sessions per 5 s (see /gateway/bot)",
        ),
    },
    CloseInfo {
        code: 4009,
        last: 4009,
        name: "Session timed out",
        meaning: "the platform ends every session periodically (about every 30 min), usually right after op 7",
        docs: "official table: resume yes; \"4009 可以重新发起 resume\"",
        action: CloseAction::Resume,
        denies_intents: false,
        hint: Some(
            "normal: resume at once; re-identifying here loses events and burns the session budget",
        ),
    },
    CloseInfo {
        code: 4010,
        last: 4010,
        name: "invalid shard",
        meaning: "the shard in Identify is not valid",
        docs: "official table: resume no, identify no",
        action: CloseAction::Fatal,
        denies_intents: false,
        hint: Some(
            "use [shard_id, num_shards] with shard_id < num_shards, as /gateway/bot suggests",
        ),
    },
    CloseInfo {
        code: 4011,
        last: 4011,
        name: "sharding required",
        meaning: "too many guilds for one connection",
        docs: "official table: resume no, identify no; \"请进行合理的分片\"",
        action: CloseAction::Fatal,
        denies_intents: false,
        hint: Some("run more shards: as many as /gateway/bot recommends (its `shards`)"),
    },
    CloseInfo {
        code: 4012,
        last: 4012,
        name: "invalid version",
        meaning: "the gateway version is not supported",
        docs: "official table: resume no, identify no",
        action: CloseAction::Fatal,
        denies_intents: false,
        hint: None,
    },
    CloseInfo {
        code: 4013,
        last: 4013,
        name: "invalid intent",
        meaning: "the intents value is not valid",
        docs: "official table: resume no, identify no (real QQ usually sends op 9 then 4903 instead)",
        action: CloseAction::Fatal,
        denies_intents: true,
        hint: Some("check the intents value against the intents table"),
    },
    CloseInfo {
        code: 4014,
        last: 4014,
        name: "disallowed intent",
        meaning: "the bot is not permitted to use one of the intents",
        docs: "official table: resume no, identify no (real QQ usually sends op 9 then 4903 instead)",
        action: CloseAction::Fatal,
        denies_intents: true,
        hint: Some(
            "remove intents the bot was not granted (GUILD_MESSAGES and FORUMS_EVENT are private-bot only)",
        ),
    },
    CloseInfo {
        code: 4902,
        last: 4902,
        name: "reset by resume",
        meaning: "the resume was rejected; the session is gone",
        docs: "observed (tencent-connect/bot-node-sdk#94); in the 4900–4913 range: identify",
        action: CloseAction::Identify,
        denies_intents: false,
        hint: Some("resuming again will fail the same way; identify afresh"),
    },
    CloseInfo {
        code: 4903,
        last: 4903,
        name: "create session error",
        meaning: "the session could not be created, usually after op 9 on Identify: intents not granted, wrong environment or IP",
        docs: "observed (tencent-connect/openclaw-qqbot#18); in the 4900–4913 range: identify",
        action: CloseAction::Identify,
        denies_intents: true,
        hint: Some("check the granted intents, sandbox vs production, and the IP whitelist"),
    },
    CloseInfo {
        code: 4900,
        last: 4913,
        name: "internal error",
        meaning: "an internal gateway error",
        docs: "official table: resume no, identify yes",
        action: CloseAction::Identify,
        denies_intents: false,
        hint: None,
    },
    CloseInfo {
        code: 4914,
        last: 4914,
        name: "bot offline",
        meaning: "the bot is unpublished (下架): only the sandbox environment is allowed",
        docs: "official table: resume no, identify no",
        action: CloseAction::Fatal,
        denies_intents: false,
        hint: Some("connect to the sandbox environment, or publish the bot in the QQ console"),
    },
    CloseInfo {
        code: 4915,
        last: 4915,
        name: "bot banned",
        meaning: "the bot is banned (封禁)",
        docs: "official table: resume no, identify no",
        action: CloseAction::Fatal,
        denies_intents: false,
        hint: Some("see the notice in the QQ console (q.qq.com); no client change will help"),
    },
];

/// Fallback row for codes not in the table.
pub static UNKNOWN_CLOSE: CloseInfo = CloseInfo {
    code: 0,
    last: 0,
    name: "unknown close code",
    meaning: "a close code qqbot does not know",
    docs: "not documented; the official rule of thumb is \"anything else → identify\"",
    action: CloseAction::Identify,
    denies_intents: false,
    hint: None,
};

/// Look up a close code. Codes outside the table get [`UNKNOWN_CLOSE`].
pub fn close_info(code: u16) -> &'static CloseInfo {
    lookup(code).unwrap_or(&UNKNOWN_CLOSE)
}

/// Look up a close code; `None` when it is not in the table.
pub fn lookup(code: u16) -> Option<&'static CloseInfo> {
    CLOSE_CODES
        .iter()
        .find(|info| (info.code..=info.last).contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_the_docs_and_the_issue() {
        assert_eq!(close_info(4009).action, CloseAction::Resume);
        assert_eq!(close_info(4008).action, CloseAction::BackoffThenResume);
        assert_eq!(
            close_info(4004).action,
            CloseAction::RefreshTokenThenIdentify
        );
        for code in [4006, 4007, 4900, 4902, 4903, 4905, 4913] {
            assert_eq!(close_info(code).action, CloseAction::Identify, "{code}");
        }
        for code in [4010, 4011, 4012, 4013, 4014, 4914, 4915] {
            assert_eq!(close_info(code).action, CloseAction::Fatal, "{code}");
        }
        for code in [1000, 1005, 1006] {
            assert_eq!(close_info(code).action, CloseAction::Resume, "{code}");
        }
    }

    #[test]
    fn specific_codes_win_over_ranges() {
        assert_eq!(close_info(4902).name, "reset by resume");
        assert_eq!(close_info(4903).name, "create session error");
        assert_eq!(close_info(4907).name, "internal error");
    }

    #[test]
    fn unknown_codes_fall_back_to_identify() {
        assert!(lookup(4999).is_none());
        assert_eq!(close_info(4999).action, CloseAction::Identify);
        assert_eq!(close_info(3000).name, "unknown close code");
    }

    #[test]
    fn every_row_is_well_formed() {
        for info in CLOSE_CODES {
            assert!(info.code <= info.last);
            assert!(!info.meaning.is_empty() && !info.docs.is_empty());
        }
    }
}
