//! The `Examples` (and exit-code) sections at the end of each command's `--help`.

/// `Examples:` then each command under its comment (short lines: help text wraps at the
/// terminal width); then `tail` if any.
fn section(examples: &[(&str, &str)], tail: &str) -> String {
    let mut out = String::from("Examples:\n");
    for (command, comment) in examples {
        out.push_str(&format!("  # {comment}\n  {command}\n"));
    }
    if !tail.is_empty() {
        out.push('\n');
        out.push_str(tail);
    }
    out.trim_end().to_owned()
}

pub fn listen() -> String {
    section(
        &[
            (
                "qqbot listen --emulator",
                "demo events from an embedded emulator, no credentials",
            ),
            (
                "qqbot listen --emulator --scenario zombie --heartbeat-interval 1000",
                "see zombie detection within seconds",
            ),
            (
                "qqbot listen --intents auto -e GROUP_AT_MESSAGE_CREATE,C2C_MESSAGE_CREATE",
                "only these events, minimal intents",
            ),
            (
                "qqbot listen --filter '.d.content | test(\"ping\")'",
                "only events a jq expression holds for",
            ),
            (
                "qqbot listen --until-event GROUP_AT_MESSAGE_CREATE --duration 60s",
                "wait for a message (exit 1 if none in 60 s)",
            ),
            (
                "qqbot listen --json | jq -r .t",
                "NDJSON (also whenever stdout is a pipe)",
            ),
            (
                "qqbot listen --format human --color always | less -R",
                "human lines into a pager",
            ),
            (
                "qqbot listen --state-file state.json",
                "a restart resumes instead of identifying",
            ),
            (
                "qqbot listen --webhook 127.0.0.1:8443 --emulator",
                "receive signed webhooks from an embedded emulator",
            ),
        ],
        "Exit codes: 0 ok, 1 failure, 2 usage, 4 authentication failed, 5 gateway refused the \
         session, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP); the summary is \
         printed first.",
    )
}

pub fn record() -> String {
    section(
        &[
            (
                "qqbot record -o session.ndjson.zst --emulator -n 100",
                "record 100 events from an embedded emulator",
            ),
            (
                "qqbot record -o bug.ndjson --redact-ids --redact-content",
                "a recording safe to attach to a public bug report",
            ),
            (
                "qqbot replay session.ndjson.zst",
                "print it as `listen` did",
            ),
        ],
        "",
    )
}

pub fn replay() -> String {
    section(
        &[
            (
                "qqbot replay session.ndjson.zst",
                "print the events at the recorded pace",
            ),
            (
                "qqbot replay session.ndjson.zst --max-speed -e AT_MESSAGE_CREATE",
                "only some events, no pacing",
            ),
            (
                "qqbot replay session.ndjson.zst --stats",
                "a summary instead of the events",
            ),
            (
                "qqbot replay session.ndjson.zst --serve 127.0.0.1:0",
                "play QQ to your bot (point its API base at the printed URL)",
            ),
            (
                "qqbot replay session.ndjson.zst --forward-to http://127.0.0.1:9000/qq",
                "deliver as signed webhooks",
            ),
        ],
        "Exit codes: 0 ok, 1 the recording is damaged or torn (what could be read was printed), \
         2 usage.",
    )
}

pub fn tui() -> String {
    let keys = qqbot::tui::ui::KEYS;
    let width = keys
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut tail = String::from("Keys:\n");
    for (key, what) in keys {
        let pad = width - key.chars().count();
        tail.push_str(&format!("  {key}{:pad$}  {what}\n", ""));
    }
    tail.push_str(
        "\nExit codes: 0 quit with q, 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP; the summary is printed on exit. Logs go to a \
         file while the dashboard is up (-v for more).",
    );
    section(
        &[
            (
                "qqbot tui --emulator",
                "the dashboard over an embedded emulator",
            ),
            (
                "qqbot tui --emulator --scenario zombie --heartbeat-interval 1000",
                "watch a zombie being detected and resumed",
            ),
            (
                "qqbot tui --replay session.ndjson.zst --speed 4",
                "a recording, four times as fast",
            ),
            (
                "qqbot tui --intents default",
                "the live gateway (credentials as for `listen`)",
            ),
        ],
        &tail,
    )
}

pub fn emulate() -> String {
    section(
        &[
            (
                "qqbot emulate",
                "a QQ platform on 127.0.0.1:8080 (URLs and dev credentials printed)",
            ),
            (
                "qqbot emulate --listen 127.0.0.1:0 --scenario session-timeout",
                "a free port, sessions that time out",
            ),
            (
                "qqbot emulate --webhook-to http://127.0.0.1:8443/",
                "also deliver every event as a signed webhook",
            ),
            (
                "qqbot emulate dispatch GROUP_AT_MESSAGE_CREATE --content hi",
                "deliver an event to a running emulator",
            ),
            (
                "qqbot emulate dispatch C2C_MESSAGE_CREATE --content /ping --wait-reply 5s",
                "… and print your bot's reply",
            ),
            (
                "qqbot emulate fault stop_acks",
                "inject a fault into live sessions (acks stop: a zombie)",
            ),
        ],
        "",
    )
}

pub fn explain() -> String {
    section(
        &[
            ("qqbot explain 4009", "a gateway close code"),
            ("qqbot explain 40054005", "an OpenAPI error code"),
            ("qqbot explain 4914 --json", "as JSON"),
            ("qqbot explain --list", "every code qqbot knows"),
        ],
        "",
    )
}

pub fn intents_list() -> String {
    section(
        &[(
            "qqbot intents list",
            "every bit with names, aliases and events",
        )],
        "",
    )
}

pub fn intents_explain() -> String {
    section(
        &[
            (
                "qqbot intents explain 1107300352",
                "break a value into bits",
            ),
            (
                "qqbot intents explain public_messages",
                "one intent by name or alias",
            ),
        ],
        "",
    )
}

pub fn intents_check() -> String {
    section(
        &[
            (
                "qqbot intents check -i guilds,guild_messages --public",
                "problems with a choice (private-only bits)",
            ),
            (
                "qqbot intents check --for-events AT_MESSAGE_CREATE,C2C_MESSAGE_CREATE",
                "the minimal intents for some events",
            ),
            (
                "qqbot intents check --live",
                "which intents the app is granted (spends session starts)",
            ),
            (
                "qqbot intents check --live --emulator",
                "the same against an embedded emulator (no credentials)",
            ),
        ],
        "--live costs session starts: each trial Identify may use one of the daily \
         session_start_limit. The whole request is tried first; a refused set is split in halves, \
         so n intents need at most 2n-1 trials (1 when everything is granted). qqbot refuses to \
         start when the remaining budget is below that worst case, unless --yes, which then stops \
         after the remaining budget and reports the rest as unknown.\n\nExit codes: 0 all \
         requested intents granted (static: no problems), 1 problems found (static), 2 usage, 4 \
         credentials refused, 5 some intents denied or the budget is too small.",
    )
}

pub fn completions() -> String {
    section(
        &[
            (
                "qqbot completions bash > ~/.local/share/bash-completion/completions/qqbot",
                "bash",
            ),
            ("qqbot completions zsh > \"${fpath[1]}/_qqbot\"", "zsh"),
            (
                "qqbot completions fish > ~/.config/fish/completions/qqbot.fish",
                "fish",
            ),
        ],
        "",
    )
}

pub fn send() -> String {
    section(
        &[
            (
                "qqbot send --group GROUP_OPENID --reply-to MSG_ID 'pong'",
                "a passive group reply (msg_seq automatic)",
            ),
            (
                "qqbot send --user USER_OPENID --reply-to MSG_ID --markdown '**hi**'",
                "a C2C reply in markdown",
            ),
            (
                "qqbot send --channel CHANNEL_ID --reply-to MSG_ID 'hello'",
                "a guild channel reply",
            ),
            (
                "echo hi | qqbot send --group GROUP_OPENID --event-id EVENT_ID -",
                "text from stdin, replying to an event",
            ),
            (
                "qqbot send --json --group G --reply-to M hi",
                "JSON on stdout, also on failure",
            ),
            (
                "qqbot send --group GROUP_OPENID --recall SENT_ID",
                "recall (撤回) a message the bot sent (within 2 min)",
            ),
        ],
        "The ids are the ones `qqbot listen` prints (group:, from:, msg:, event:, channel:).\n\n\
         Passive replies: --reply-to MSG_ID (or --event-id ID) makes the send a reply; msg_seq is \
         allocated per message and remembered across runs (QQBOT_CACHE_DIR/msg_seq.json), so \
         repeated replies never hit 40054005. A message takes at most 5 replies. Proactive \
         group/C2C sends were discontinued on 2025-04-21 and are refused locally unless --force.\n\n\
         With --json a failure is also one object on stdout: {\"status\":\"error\",\"exit\":N,\
         \"error\":\"…\",\"causes\":[…],\"hint\":\"…\"|null,\"code\":N|null,\"trace_id\":\"…\"|null}.\n\n\
         Exit codes: 0 sent (or queued for audit: HTTP 202), 1 refused or failed, 2 usage, 4 \
         credentials refused.",
    )
}

pub fn config_init() -> String {
    section(
        &[
            ("qqbot config init", "interactive on a terminal"),
            (
                "qqbot config init --profile prod --app-id 102000000 --secret-stdin < secret.txt",
                "from a script",
            ),
        ],
        "",
    )
}

pub fn config_set() -> String {
    section(
        &[
            ("qqbot config set sandbox true", "in the default profile"),
            (
                "qqbot config set --profile dev --force sandbox true",
                "--force creates a missing profile",
            ),
            (
                "printf %s \"$SECRET\" | qqbot config set secret --secret-stdin",
                "a secret, never on the command line",
            ),
            ("qqbot config set intents --unset", "remove a key"),
        ],
        "A missing profile is not created and a stored secret is not replaced without --force \
         (on a terminal, qqbot asks). The profile and file written are always printed.",
    )
}

pub fn config_show() -> String {
    section(
        &[
            (
                "qqbot config show",
                "each value and where it came from (secrets redacted)",
            ),
            (
                "qqbot config show --profile prod --json",
                "another profile, as JSON",
            ),
        ],
        "",
    )
}

pub fn doctor() -> String {
    section(
        &[
            (
                "qqbot doctor",
                "credentials, token, /gateway/bot, /users/@me and a handshake",
            ),
            (
                "qqbot doctor --no-gateway",
                "skip the handshake (spends no session start)",
            ),
            (
                "qqbot doctor --profile prod --json",
                "another profile, as JSON",
            ),
            (
                "qqbot doctor --emulator",
                "every check against an embedded emulator (no credentials)",
            ),
        ],
        "The gateway step identifies once (one session start of the daily session_start_limit) \
         and closes at once; --no-gateway skips it. Right after another Identify it waits out the \
         identify window (saying so on stderr) instead of failing with 4008.\n\nExit codes: 0 all \
         checks pass, 1 another failure (network, platform), 2 credentials missing, 4 credentials \
         or token refused (also the IP whitelist, 11298), 5 the gateway refused the session \
         (intents, sandbox-only, banned).",
    )
}
