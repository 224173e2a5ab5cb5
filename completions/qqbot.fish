# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_qqbot_global_optspecs
    string join \n q/quiet v/verbose color= json format= profile= config= app-id= secret-file= sandbox api-base= token-url= h/help V/version
end

function __fish_qqbot_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_qqbot_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_qqbot_using_subcommand
    set -l cmd (__fish_qqbot_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c qqbot -n "__fish_qqbot_needs_command" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_needs_command" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_needs_command" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_needs_command" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_needs_command" -l app-id -d 'The bot\'s app id (env QQBOT_APP_ID). The secret never goes on the command line: use QQBOT_SECRET, --secret-file or a profile' -r
complete -c qqbot -n "__fish_qqbot_needs_command" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_needs_command" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_needs_command" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_needs_command" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_needs_command" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_needs_command" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_needs_command" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_needs_command" -s V -l version -d 'Print version'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "listen" -d 'Connect to the gateway and stream events (human lines on a terminal, NDJSON when piped)'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "emulate" -d 'Run a local emulator of the QQ platform (token endpoint, OpenAPI, gateway, faults)'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "tui" -d 'A live dashboard: shards, heartbeat latency, event rates, recent events'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "record" -d 'Record a gateway session to a file (every `listen` option applies)'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "replay" -d 'Replay a recording: print it as `listen` did, summarise it, or serve it to a bot'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "explain" -d 'Explain a gateway close code or an OpenAPI error code, offline'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "intents" -d 'List and explain intents, from the intents table'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "send" -d 'Send a message (passive replies with automatic msg_seq, reply-rule checks, error explanations)'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "config" -d 'Create and edit config profiles, and show the resolved settings (secrets redacted)'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "doctor" -d 'Check credentials, token, /gateway/bot, /users/@me and a gateway handshake, with advice'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "cluster" -d 'Shards across processes: show the leases in the NATS bucket'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l app-id -d 'The bot\'s app id (env QQBOT_APP_ID). The secret never goes on the command line: use QQBOT_SECRET, --secret-file or a profile' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s i -l intents -d 'Intents: names or aliases (guilds,public_guild_messages), numbers, `default` or `all`' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l shards -d 'Run N shards (default: as many as /gateway/bot recommends)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l shard -d 'Run one shard of a larger set, e.g. 2/4' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l state-file -d 'Keep session ids and sequence numbers here, so a restart resumes instead of identifying' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l scenario -d 'Emulator scenario with --emulator (demo, quiet, flood, session-timeout, zombie, …)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l heartbeat-interval -d 'With --emulator: the heartbeat interval its Hello sends, in milliseconds (default 41250; e.g. 1000 with `--scenario zombie` to see a zombie within seconds). qqbot clamps Hello\'s interval to 1 s–10 min, so 1000–600000' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l rate -d 'With --emulator: generated events per second (default 2)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l session-timeout -d 'With --emulator: end every session this often with op 7 and close 4009 (e.g. 10s; default 30m)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l webhook -d 'Receive events as webhooks on ADDR (e.g. 0.0.0.0:8443) instead of connecting to the gateway. With --emulator, the embedded emulator sends its events there' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l webhook-path -d 'Only accept webhooks on this path (default: any path)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l tls-cert -d 'Serve HTTPS with this certificate (PEM) (QQ requires HTTPS unless a proxy terminates TLS)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l tls-key -d 'The private key (PEM) for --tls-cert' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l timestamp-window -d 'Reject webhooks whose X-Signature-Timestamp is further than this from now (replay protection; 0 disables the check)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l max-reconnects -d 'Consecutive failed connection attempts before giving up (default 0 = never give up; fatal closes and refused credentials always stop)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l event-buffer-size -d 'Capacity of the buffer between the gateway and the output' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l from -d 'Read events from NATS JetStream at this URL (nats://HOST:PORT) instead of the gateway: what `--publish` put there, from every shard of the fleet' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l consumer -d 'A durable consumer of this name (continues where it stopped; default: an ephemeral consumer reading the whole stream)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l nats-stream -d 'JetStream stream name (created by --publish when missing)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l nats-prefix -d 'Subject prefix: events go to PREFIX.<app_id>.<shard>.<EVENT_TYPE>' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l cluster -d 'Share the shards of this bot with other qqbot processes through NATS JetStream (nats://HOST:PORT): each shard is leased in a key-value bucket, a dead process\'s shards are taken over (resumed) by the others. Use with --shards N (the same N everywhere)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l cluster-bucket -d 'The key-value bucket holding the leases (default qqbot_<app id>)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l lease-ttl -d 'How long a lease lasts without renewal: a dead process\'s shards are taken over this long after its last renewal' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s e -l events -d 'Only these event types (comma-separated `t` values, e.g. AT_MESSAGE_CREATE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l guild -d 'Only events of this guild id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l channel -d 'Only events of this channel id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l group -d 'Only events of this group openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l user -d 'Only events from this user id or openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l filter -d 'Only events for which this jq expression is true, over the event as its NDJSON line shows it: `--filter \'.d.author.id == "123"\'`, `--filter \'.d.content | test("ping")\'`' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s n -l count -d 'Stop after N events' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l duration -d 'Stop after this long (e.g. 30s, 5m, 1h)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l until-event -d 'Stop after the first event of one of these types (comma-separated `t` values), exit 0; ending any other way first (--duration, --count, the source) exits 1. For scripts: wait for a message, with --duration as the timeout' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l record -d 'Also record the session to this file (NDJSON; zstd when it ends in .zst)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l forward-to -d 'POST every event to this handler as QQ\'s webhook would (same body and headers, signed with the key derived from the bot secret). Repeat for several handlers' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l forward-header -d 'Add a header to forwarded requests (K:V). Repeatable' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l metrics -d 'Serve Prometheus metrics on ADDR/metrics (e.g. 127.0.0.1:9187; port 0 picks a free port, printed on stderr)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l publish -d 'Publish every event to NATS JetStream at this URL (nats://HOST:PORT), acknowledged; with --state-file the resume cursor only passes acknowledged events' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l nats-retention -d 'Retention of a stream created by --publish: limits, interest or workqueue' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l nats-max-age -d 'Maximum age of events in a stream created by --publish (0 keeps them for ever)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l publish-in-flight -d 'Publishes waiting for their JetStream acknowledgement at most (past that, and a queue of 1024 events, the gateway is held: backpressure)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l publish-queue -d 'Events queued in front of the publishing task' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l publish-ack-timeout -d 'How long to wait for one acknowledgement before publishing again' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l emulator -d 'Start an embedded emulator and listen to it (no credentials needed)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l dev-credentials -d 'Use the emulator\'s development credentials (app id 1020304050, secret qqbot-emulator-secret), for a separately started `qqbot emulate`: `--webhook` to receive what `emulate --webhook-to` sends, or `--api-base`/`--token-url` at its URLs'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l nats-new -d 'Only events published from now on'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l include-control -d 'Also print lifecycle lines: hello, ready, heartbeats and acks, reconnects, closes'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l dedup -d 'Drop events whose id was already seen (the gateway may replay after a resume)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l short-ids -d 'In human lines, shorten ids and openids to 12 characters (default: in full, as `qqbot send` needs them)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l redact-ids -d 'In the recording, replace user/guild/group/channel/message ids and openids by consistent pseudonyms (implies --redact-names)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l redact-names -d 'In the recording, replace usernames, nicknames and avatar URLs by consistent pseudonyms (`user-…`, `nick-…`, `https://avatar.invalid/…`)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l redact-content -d 'In the recording, blank message content'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l listen -d 'Address to serve everything on (HTTP API, token endpoint, gateway, control API)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l app-id -d 'App id bots must use' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l secret -d 'Secret bots must use (a development value; never a real secret)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l grant -d 'Intents the emulated app is granted (an Identify asking for more gets op 9 + close 4903)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l scenario -d 'What the emulator does: demo, quiet, flood, or a fault scenario (see `--help`)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l rate -d 'Generated events per second (demo scenario)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l heartbeat-interval -d 'Heartbeat interval sent in Hello, in milliseconds (1000–600000: what qqbot accepts from a Hello)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l session-timeout -d 'Send op 7 and close 4009 this often per connection (e.g. 10s, 5m; a plain number is seconds), as `listen --emulator --session-timeout` does' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l shards -d 'Shard count recommended by /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l max-concurrency -d 'session_start_limit.max_concurrency (identifies allowed per 5 s)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l session-starts-left -d 'Session starts left today when the emulator starts (of 1000): an app that has spent most of its budget, to see `listen`\'s warning or, at 0, its refusal' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l webhook-to -d 'Also deliver every event as a signed webhook to this URL (op 13 validation first, then POSTs with QQ\'s headers; retried with backoff)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l gateway-url -d 'The gateway URL that GET /gateway and /gateway/bot return (default: this emulator\'s own ws://ADDR/websocket), for clients that reach it through another address: a proxy or a container\'s port mapping, e.g. ws://localhost:9000/websocket' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l seed -d 'Seed for generated events (same seed, same events)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l metrics -d 'Serve Prometheus metrics (connections, identifies, resumes, dispatches sent) on ADDR/metrics; port 0 picks a free port, printed on stderr' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l strict-identify-rate -d 'Close an Identify faster than --max-concurrency per 5 s with 4008, as the platform may (default: accept it with a warning)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -f -a "dispatch" -d 'Deliver an event to the emulator\'s sessions (a realistic payload, with overrides)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -f -a "fault" -d 'Inject a fault into live sessions'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -f -a "state" -d 'Show the sessions and the messages the bot sent (`--json`: the raw state)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and not __fish_seen_subcommand_from dispatch fault state help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l content -d 'Message content' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l group -d 'group_openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l user -d 'The author\'s id / member_openid / user_openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l guild -d 'guild_id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l channel -d 'channel_id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l data -d 'The event\'s `d`, verbatim (JSON object); the other overrides still apply' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l session -d 'Deliver to this session only' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l wait-reply -d 'Then wait up to this long (e.g. 5s) for the bot\'s reply to the event and print it: exit 0 when the emulator accepted it, 1 when it refused it or none came' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l emulator-url -d 'Base URL of the running emulator (`qqbot emulate`, `listen --emulator`, `tui --emulator`)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from dispatch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -l code -d 'Close code (`close`)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -l reason -d 'Close reason (`close`)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -l session -d 'Only this session' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -l emulator-url -d 'Base URL of the running emulator (`qqbot emulate`, `listen --emulator`, `tui --emulator`)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from fault" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from state" -l emulator-url -d 'Base URL of the running emulator (`qqbot emulate`, `listen --emulator`, `tui --emulator`)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from state" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from state" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from state" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from state" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from state" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from state" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from help" -f -a "dispatch" -d 'Deliver an event to the emulator\'s sessions (a realistic payload, with overrides)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from help" -f -a "fault" -d 'Inject a fault into live sessions'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from help" -f -a "state" -d 'Show the sessions and the messages the bot sent (`--json`: the raw state)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l app-id -d 'The bot\'s app id (env QQBOT_APP_ID). The secret never goes on the command line: use QQBOT_SECRET, --secret-file or a profile' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -s i -l intents -d 'Intents: names or aliases (guilds,public_guild_messages), numbers, `default` or `all`' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l shards -d 'Run N shards (default: as many as /gateway/bot recommends)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l shard -d 'Run one shard of a larger set, e.g. 2/4' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l state-file -d 'Keep session ids and sequence numbers here, so a restart resumes instead of identifying' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l scenario -d 'Emulator scenario with --emulator (demo, quiet, flood, session-timeout, zombie, …)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l heartbeat-interval -d 'With --emulator: the heartbeat interval its Hello sends, in milliseconds (default 41250; e.g. 1000 with `--scenario zombie` to see a zombie within seconds). qqbot clamps Hello\'s interval to 1 s–10 min, so 1000–600000' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l rate -d 'With --emulator: generated events per second (default 2)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l session-timeout -d 'With --emulator: end every session this often with op 7 and close 4009 (e.g. 10s; default 30m)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l webhook -d 'Receive events as webhooks on ADDR (e.g. 0.0.0.0:8443) instead of connecting to the gateway. With --emulator, the embedded emulator sends its events there' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l webhook-path -d 'Only accept webhooks on this path (default: any path)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l tls-cert -d 'Serve HTTPS with this certificate (PEM) (QQ requires HTTPS unless a proxy terminates TLS)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l tls-key -d 'The private key (PEM) for --tls-cert' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l timestamp-window -d 'Reject webhooks whose X-Signature-Timestamp is further than this from now (replay protection; 0 disables the check)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l max-reconnects -d 'Consecutive failed connection attempts before giving up (default 0 = never give up; fatal closes and refused credentials always stop)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l event-buffer-size -d 'Capacity of the buffer between the gateway and the output' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l from -d 'Read events from NATS JetStream at this URL (nats://HOST:PORT) instead of the gateway: what `--publish` put there, from every shard of the fleet' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l consumer -d 'A durable consumer of this name (continues where it stopped; default: an ephemeral consumer reading the whole stream)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l nats-stream -d 'JetStream stream name (created by --publish when missing)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l nats-prefix -d 'Subject prefix: events go to PREFIX.<app_id>.<shard>.<EVENT_TYPE>' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l cluster -d 'Share the shards of this bot with other qqbot processes through NATS JetStream (nats://HOST:PORT): each shard is leased in a key-value bucket, a dead process\'s shards are taken over (resumed) by the others. Use with --shards N (the same N everywhere)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l cluster-bucket -d 'The key-value bucket holding the leases (default qqbot_<app id>)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l lease-ttl -d 'How long a lease lasts without renewal: a dead process\'s shards are taken over this long after its last renewal' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l replay -d 'Watch a recording instead (`-` for stdin)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l speed -d 'Replay pacing: recorded speed times X' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l fps -d 'Frames per second' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l emulator -d 'Start an embedded emulator and listen to it (no credentials needed)'
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l dev-credentials -d 'Use the emulator\'s development credentials (app id 1020304050, secret qqbot-emulator-secret), for a separately started `qqbot emulate`: `--webhook` to receive what `emulate --webhook-to` sends, or `--api-base`/`--token-url` at its URLs'
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l nats-new -d 'Only events published from now on'
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand tui" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s o -l output -d 'The recording to write (NDJSON; zstd when the name ends in .zst)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l app-id -d 'The bot\'s app id (env QQBOT_APP_ID). The secret never goes on the command line: use QQBOT_SECRET, --secret-file or a profile' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s i -l intents -d 'Intents: names or aliases (guilds,public_guild_messages), numbers, `default` or `all`' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l shards -d 'Run N shards (default: as many as /gateway/bot recommends)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l shard -d 'Run one shard of a larger set, e.g. 2/4' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l state-file -d 'Keep session ids and sequence numbers here, so a restart resumes instead of identifying' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l scenario -d 'Emulator scenario with --emulator (demo, quiet, flood, session-timeout, zombie, …)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l heartbeat-interval -d 'With --emulator: the heartbeat interval its Hello sends, in milliseconds (default 41250; e.g. 1000 with `--scenario zombie` to see a zombie within seconds). qqbot clamps Hello\'s interval to 1 s–10 min, so 1000–600000' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l rate -d 'With --emulator: generated events per second (default 2)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l session-timeout -d 'With --emulator: end every session this often with op 7 and close 4009 (e.g. 10s; default 30m)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l webhook -d 'Receive events as webhooks on ADDR (e.g. 0.0.0.0:8443) instead of connecting to the gateway. With --emulator, the embedded emulator sends its events there' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l webhook-path -d 'Only accept webhooks on this path (default: any path)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l tls-cert -d 'Serve HTTPS with this certificate (PEM) (QQ requires HTTPS unless a proxy terminates TLS)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l tls-key -d 'The private key (PEM) for --tls-cert' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l timestamp-window -d 'Reject webhooks whose X-Signature-Timestamp is further than this from now (replay protection; 0 disables the check)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l max-reconnects -d 'Consecutive failed connection attempts before giving up (default 0 = never give up; fatal closes and refused credentials always stop)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l event-buffer-size -d 'Capacity of the buffer between the gateway and the output' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l from -d 'Read events from NATS JetStream at this URL (nats://HOST:PORT) instead of the gateway: what `--publish` put there, from every shard of the fleet' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l consumer -d 'A durable consumer of this name (continues where it stopped; default: an ephemeral consumer reading the whole stream)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l nats-stream -d 'JetStream stream name (created by --publish when missing)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l nats-prefix -d 'Subject prefix: events go to PREFIX.<app_id>.<shard>.<EVENT_TYPE>' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l cluster -d 'Share the shards of this bot with other qqbot processes through NATS JetStream (nats://HOST:PORT): each shard is leased in a key-value bucket, a dead process\'s shards are taken over (resumed) by the others. Use with --shards N (the same N everywhere)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l cluster-bucket -d 'The key-value bucket holding the leases (default qqbot_<app id>)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l lease-ttl -d 'How long a lease lasts without renewal: a dead process\'s shards are taken over this long after its last renewal' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s e -l events -d 'Only these event types (comma-separated `t` values, e.g. AT_MESSAGE_CREATE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l guild -d 'Only events of this guild id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l channel -d 'Only events of this channel id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l group -d 'Only events of this group openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l user -d 'Only events from this user id or openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l filter -d 'Only events for which this jq expression is true, over the event as its NDJSON line shows it: `--filter \'.d.author.id == "123"\'`, `--filter \'.d.content | test("ping")\'`' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s n -l count -d 'Stop after N events' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l duration -d 'Stop after this long (e.g. 30s, 5m, 1h)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l until-event -d 'Stop after the first event of one of these types (comma-separated `t` values), exit 0; ending any other way first (--duration, --count, the source) exits 1. For scripts: wait for a message, with --duration as the timeout' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l record -d 'Also record the session to this file (NDJSON; zstd when it ends in .zst)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l forward-to -d 'POST every event to this handler as QQ\'s webhook would (same body and headers, signed with the key derived from the bot secret). Repeat for several handlers' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l forward-header -d 'Add a header to forwarded requests (K:V). Repeatable' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l metrics -d 'Serve Prometheus metrics on ADDR/metrics (e.g. 127.0.0.1:9187; port 0 picks a free port, printed on stderr)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l publish -d 'Publish every event to NATS JetStream at this URL (nats://HOST:PORT), acknowledged; with --state-file the resume cursor only passes acknowledged events' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l nats-retention -d 'Retention of a stream created by --publish: limits, interest or workqueue' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l nats-max-age -d 'Maximum age of events in a stream created by --publish (0 keeps them for ever)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l publish-in-flight -d 'Publishes waiting for their JetStream acknowledgement at most (past that, and a queue of 1024 events, the gateway is held: backpressure)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l publish-queue -d 'Events queued in front of the publishing task' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l publish-ack-timeout -d 'How long to wait for one acknowledgement before publishing again' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l emulator -d 'Start an embedded emulator and listen to it (no credentials needed)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l dev-credentials -d 'Use the emulator\'s development credentials (app id 1020304050, secret qqbot-emulator-secret), for a separately started `qqbot emulate`: `--webhook` to receive what `emulate --webhook-to` sends, or `--api-base`/`--token-url` at its URLs'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l nats-new -d 'Only events published from now on'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l include-control -d 'Also print lifecycle lines: hello, ready, heartbeats and acks, reconnects, closes'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l dedup -d 'Drop events whose id was already seen (the gateway may replay after a resume)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l short-ids -d 'In human lines, shorten ids and openids to 12 characters (default: in full, as `qqbot send` needs them)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l redact-ids -d 'In the recording, replace user/guild/group/channel/message ids and openids by consistent pseudonyms (implies --redact-names)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l redact-names -d 'In the recording, replace usernames, nicknames and avatar URLs by consistent pseudonyms (`user-…`, `nick-…`, `https://avatar.invalid/…`)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l redact-content -d 'In the recording, blank message content'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l app-id -d 'The bot\'s app id (env QQBOT_APP_ID). The secret never goes on the command line: use QQBOT_SECRET, --secret-file or a profile' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l speed -d 'Pace at the recorded speed times X (2 = twice as fast)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l from-seq -d 'Only dispatches with s ≥ N' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l to-seq -d 'Only dispatches with s ≤ N' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l since -d 'Start at this offset into the recording (e.g. 30s, 5m)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l until -d 'Stop at this offset into the recording' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -s e -l events -d 'Only these event types (comma-separated `t` values, e.g. AT_MESSAGE_CREATE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l guild -d 'Only events of this guild id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l channel -d 'Only events of this channel id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l group -d 'Only events of this group openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l user -d 'Only events from this user id or openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l filter -d 'Only events for which this jq expression is true, over the event as its NDJSON line shows it: `--filter \'.d.author.id == "123"\'`, `--filter \'.d.content | test("ping")\'`' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l forward-to -d 'POST every event to this handler as QQ\'s webhook would (same body and headers, signed with the key derived from the bot secret). Repeat for several handlers' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l forward-header -d 'Add a header to forwarded requests (K:V). Repeatable' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l serve -d 'Act as a QQ platform on ADDR and deliver the recording\'s dispatches to whatever bot connects (any SDK; point its API base and token URL at the printed URLs)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l publish -d 'Publish every event to NATS JetStream at this URL (nats://HOST:PORT), acknowledged; with --state-file the resume cursor only passes acknowledged events' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l nats-retention -d 'Retention of a stream created by --publish: limits, interest or workqueue' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l nats-max-age -d 'Maximum age of events in a stream created by --publish (0 keeps them for ever)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l publish-in-flight -d 'Publishes waiting for their JetStream acknowledgement at most (past that, and a queue of 1024 events, the gateway is held: backpressure)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l publish-queue -d 'Events queued in front of the publishing task' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l publish-ack-timeout -d 'How long to wait for one acknowledgement before publishing again' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l nats-stream -d 'JetStream stream name (created by --publish when missing)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l nats-prefix -d 'Subject prefix: events go to PREFIX.<app_id>.<shard>.<EVENT_TYPE>' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l max-speed -d 'No pacing: as fast as possible'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l include-control -d 'Also replay lifecycle lines (connected, closes, resumes, heartbeats)'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l short-ids -d 'In human lines, shorten ids and openids to 12 characters (default: in full)'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l stats -d 'Print a summary instead of the events (also `--summary`)'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l loop -d 'With --serve: start the recording again for each session when it ends'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l list -d 'List every code qqbot knows: the gateway close codes, then the OpenAPI error codes (`--json`: an array of the objects `explain CODE --json` prints)'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -f -a "list" -d 'Every intent bit: value, name, aliases used by other SDKs, access level and events'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -f -a "explain" -d 'Explain one intent (name, alias or bit) or break an intents value into its bits'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -f -a "check" -d 'Check an intents choice (private-only bits, overlaps, undocumented bits), print the minimal intents for some events, or (--live) find which intents the app is granted'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l app-id -d 'The bot\'s app id (env QQBOT_APP_ID). The secret never goes on the command line: use QQBOT_SECRET, --secret-file or a profile' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -s i -l intents -d 'The intents to check (names, aliases, numbers, `default`, `all`). Default: the profile\'s intents; with --live and no profile intents, `all`' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l for-events -d 'Print the minimal intents for these events (comma-separated `t` values)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l public -d 'The bot is public-domain (GUILD_MESSAGES and FORUMS_EVENT are then refused). Overrides the profile\'s `public`'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l private -d 'The bot is private-domain. Overrides the profile\'s `public`'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l live -d 'Find the granted intents by trial Identify against the gateway (spends session starts)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l yes -d 'With --live: run even if the session budget does not cover the worst case (stop when it runs out)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l emulator -d 'With --live: probe an embedded emulator instead (no credentials needed; it grants every intent, as `qqbot emulate` does by default)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every intent bit: value, name, aliases used by other SDKs, access level and events'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from help" -f -a "explain" -d 'Explain one intent (name, alias or bit) or break an intents value into its bits'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check an intents choice (private-only bits, overlaps, undocumented bits), print the minimal intents for some events, or (--live) find which intents the app is granted'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l app-id -d 'The bot\'s app id (env QQBOT_APP_ID). The secret never goes on the command line: use QQBOT_SECRET, --secret-file or a profile' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l channel -d 'Send to a guild text channel (channel id)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l dm -d 'Send to a guild direct-message session (its guild id, from DIRECT_MESSAGE_CREATE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l group -d 'Send to a group (group openid)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l user -d 'Send to a user in a single chat (C2C; user openid)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l image -d 'Attach an image by public URL (group/C2C: uploaded through the files route, msg_type 7)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l file -d 'Attach media by public URL (png/jpg, mp4, silk). Local paths are refused: QQ fetches media from a URL' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l keyboard -d 'A keyboard payload, as JSON (`{"id": "…"}` or `{"content": {…}}`)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l reply-to -d 'Reply to this message id (passive reply)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l event-id -d 'Reply to this event id (INTERACTION_CREATE, GROUP_ADD_ROBOT, FRIEND_ADD, …)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l msg-seq -d 'Use this msg_seq instead of allocating one' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l reply-time -d 'When the original message was sent (RFC 3339), for the reply-window check' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l from-recording -d 'Look the original message\'s time up in a `qqbot record` file' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l recall -d 'Recall (撤回) this message the bot sent to the target instead of sending one (the id `qqbot send` printed). Group and C2C messages: within 2 min of sending' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l markdown -d 'Send the text as markdown (msg_type 2)'
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l force -d 'Send even when qqbot knows the platform will refuse (proactive group/C2C sends)'
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l hidetip -d 'With --recall in a guild channel or DM: hide the "message recalled" notice'
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -f -a "init" -d 'Create a profile (interactive on a terminal; else from flags and --secret-stdin)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -f -a "set" -d 'Set one key of the profile (app_id, sandbox, public, api_base, token_url, intents, default_profile; secret only with --secret-stdin)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -f -a "show" -d 'Show the resolved settings and where each value came from (secrets redacted)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and not __fish_seen_subcommand_from init set show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l app-id -d 'The bot\'s app id (AppID in the QQ console)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l sandbox -d 'The profile uses the sandbox environment'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l secret-stdin -d 'Read the secret (AppSecret) from the first line of stdin'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l public -d 'The bot is public-domain'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l private -d 'The bot is private-domain'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l force -d 'Replace an existing profile of the same name'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -l secret-stdin -d 'With `secret`: read it from the first line of stdin'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -l unset -d 'Remove the key from the profile'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -l force -d 'Create the profile when it does not exist yet, and replace a stored secret (both are refused without it; a terminal is asked instead)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l app-id -d 'The bot\'s app id (env QQBOT_APP_ID). The secret never goes on the command line: use QQBOT_SECRET, --secret-file or a profile' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Create a profile (interactive on a terminal; else from flags and --secret-stdin)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set one key of the profile (app_id, sandbox, public, api_base, token_url, intents, default_profile; secret only with --secret-stdin)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the resolved settings and where each value came from (secrets redacted)'
complete -c qqbot -n "__fish_qqbot_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l app-id -d 'The bot\'s app id (env QQBOT_APP_ID). The secret never goes on the command line: use QQBOT_SECRET, --secret-file or a profile' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -s i -l intents -d 'Intents for the handshake (default: the profile\'s intents, else `default`)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l no-gateway -d 'Skip the gateway handshake (spends no session start)'
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l emulator -d 'Check against an embedded emulator instead (no credentials needed): what a passing setup looks like'
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and not __fish_seen_subcommand_from status help" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and not __fish_seen_subcommand_from status help" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and not __fish_seen_subcommand_from status help" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and not __fish_seen_subcommand_from status help" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and not __fish_seen_subcommand_from status help" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and not __fish_seen_subcommand_from status help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and not __fish_seen_subcommand_from status help" -f -a "status" -d 'Show each shard\'s owner, state, seq and lease age, from the bucket'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and not __fish_seen_subcommand_from status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from status" -l cluster -d 'The NATS server (nats://HOST:PORT)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from status" -l cluster-bucket -d 'The bucket (default qqbot_<app id>, from QQBOT_APP_ID or the profile)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from status" -l shards -d 'Also list shards 0..N that have no lease' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from status" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from status" -l format -d 'Force the output format (default: human on a terminal, NDJSON into a pipe)' -r -f -a "human\t'Human lines, even into a pipe (`--format human --color always | less -R`)'
json\t'NDJSON or JSON, even on a terminal (same as `--json`)'"
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from status" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal (= --format json)'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show each shard\'s owner, state, seq and lease age, from the bucket'
complete -c qqbot -n "__fish_qqbot_using_subcommand cluster; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "listen" -d 'Connect to the gateway and stream events (human lines on a terminal, NDJSON when piped)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "emulate" -d 'Run a local emulator of the QQ platform (token endpoint, OpenAPI, gateway, faults)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "tui" -d 'A live dashboard: shards, heartbeat latency, event rates, recent events'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "record" -d 'Record a gateway session to a file (every `listen` option applies)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "replay" -d 'Replay a recording: print it as `listen` did, summarise it, or serve it to a bot'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "explain" -d 'Explain a gateway close code or an OpenAPI error code, offline'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "intents" -d 'List and explain intents, from the intents table'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "completions" -d 'Print a shell completion script'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "send" -d 'Send a message (passive replies with automatic msg_seq, reply-rule checks, error explanations)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "config" -d 'Create and edit config profiles, and show the resolved settings (secrets redacted)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "doctor" -d 'Check credentials, token, /gateway/bot, /users/@me and a gateway handshake, with advice'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "cluster" -d 'Shards across processes: show the leases in the NATS bucket'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate tui record replay explain intents completions send config doctor cluster help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from emulate" -f -a "dispatch" -d 'Deliver an event to the emulator\'s sessions (a realistic payload, with overrides)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from emulate" -f -a "fault" -d 'Inject a fault into live sessions'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from emulate" -f -a "state" -d 'Show the sessions and the messages the bot sent (`--json`: the raw state)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from intents" -f -a "list" -d 'Every intent bit: value, name, aliases used by other SDKs, access level and events'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from intents" -f -a "explain" -d 'Explain one intent (name, alias or bit) or break an intents value into its bits'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from intents" -f -a "check" -d 'Check an intents choice (private-only bits, overlaps, undocumented bits), print the minimal intents for some events, or (--live) find which intents the app is granted'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Create a profile (interactive on a terminal; else from flags and --secret-stdin)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set" -d 'Set one key of the profile (app_id, sandbox, public, api_base, token_url, intents, default_profile; secret only with --secret-stdin)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Show the resolved settings and where each value came from (secrets redacted)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from cluster" -f -a "status" -d 'Show each shard\'s owner, state, seq and lease age, from the bucket'
