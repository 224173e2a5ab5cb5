# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_qqbot_global_optspecs
    string join \n profile= sandbox api-base= token-url= secret-file= config= q/quiet v/verbose color= json h/help V/version
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

complete -c qqbot -n "__fish_qqbot_needs_command" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_needs_command" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_needs_command" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_needs_command" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_needs_command" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_needs_command" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_needs_command" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_needs_command" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_needs_command" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_needs_command" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_needs_command" -s V -l version -d 'Print version'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "listen" -d 'Connect to the gateway and stream events (human lines on a terminal, NDJSON when piped)'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "emulate" -d 'Run a local emulator of the QQ platform (token endpoint, OpenAPI, gateway, faults)'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "record" -d 'Record a gateway session to a file (every `listen` option applies)'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "replay" -d 'Replay a recording: print it as `listen` did, summarise it, or serve it to a bot'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "explain" -d 'Explain a gateway close code or an OpenAPI error code, offline'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "intents" -d 'List and explain intents, from the intents table'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c qqbot -n "__fish_qqbot_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s i -l intents -d 'Intents: names or aliases (guilds,public_guild_messages), numbers, `default` or `all`' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s e -l events -d 'Only these event types (comma-separated `t` values, e.g. AT_MESSAGE_CREATE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l guild -d 'Only events of this guild id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l channel -d 'Only events of this channel id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l group -d 'Only events of this group openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l user -d 'Only events from this user id or openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l shards -d 'Run N shards (default: as many as /gateway/bot recommends)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l shard -d 'Run one shard of a larger set, e.g. 2/4' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s n -l count -d 'Stop after N events' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l duration -d 'Stop after this long (e.g. 30s, 5m, 1h)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l state-file -d 'Keep session ids and sequence numbers here, so a restart resumes instead of identifying' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l scenario -d 'Emulator scenario with --emulator (demo, quiet, flood, session-timeout, zombie, …)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l record -d 'Also record the session to this file (NDJSON; zstd when it ends in .zst)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l max-reconnects -d 'Consecutive failed connection attempts before giving up (0 = never give up)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l event-buffer-size -d 'Capacity of the buffer between the gateway and the output' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l include-control -d 'Also print lifecycle lines: hello, ready, heartbeats and acks, reconnects, closes'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l dedup -d 'Drop events whose id was already seen (the gateway may replay after a resume)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l emulator -d 'Start an embedded emulator and listen to it (no credentials needed)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l redact-ids -d 'In the recording, replace user/guild/group/channel/message ids and openids by consistent pseudonyms'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l redact-content -d 'In the recording, blank message content'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_using_subcommand listen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l listen -d 'Address to serve everything on (HTTP API, token endpoint, gateway, control API)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l app-id -d 'App id bots must use' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l secret -d 'Secret bots must use (a development value; never a real secret)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l grant -d 'Intents the emulated app is granted (an Identify asking for more gets op 9 + close 4903)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l scenario -d 'What the emulator does: demo, quiet, flood, or a fault scenario (see `--help`)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l rate -d 'Generated events per second (demo scenario)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l heartbeat-interval -d 'Heartbeat interval sent in Hello, in milliseconds' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l session-timeout -d 'Send op 7 and close 4009 this often per connection, in seconds' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l shards -d 'Shard count recommended by /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l max-concurrency -d 'session_start_limit.max_concurrency (identifies allowed per 5 s)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l seed -d 'Seed for generated events (same seed, same events)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_using_subcommand emulate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s o -l output -d 'The recording to write (NDJSON; zstd when the name ends in .zst)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s i -l intents -d 'Intents: names or aliases (guilds,public_guild_messages), numbers, `default` or `all`' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s e -l events -d 'Only these event types (comma-separated `t` values, e.g. AT_MESSAGE_CREATE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l guild -d 'Only events of this guild id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l channel -d 'Only events of this channel id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l group -d 'Only events of this group openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l user -d 'Only events from this user id or openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l shards -d 'Run N shards (default: as many as /gateway/bot recommends)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l shard -d 'Run one shard of a larger set, e.g. 2/4' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s n -l count -d 'Stop after N events' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l duration -d 'Stop after this long (e.g. 30s, 5m, 1h)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l state-file -d 'Keep session ids and sequence numbers here, so a restart resumes instead of identifying' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l scenario -d 'Emulator scenario with --emulator (demo, quiet, flood, session-timeout, zombie, …)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l record -d 'Also record the session to this file (NDJSON; zstd when it ends in .zst)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l max-reconnects -d 'Consecutive failed connection attempts before giving up (0 = never give up)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l event-buffer-size -d 'Capacity of the buffer between the gateway and the output' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l include-control -d 'Also print lifecycle lines: hello, ready, heartbeats and acks, reconnects, closes'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l dedup -d 'Drop events whose id was already seen (the gateway may replay after a resume)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l emulator -d 'Start an embedded emulator and listen to it (no credentials needed)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l redact-ids -d 'In the recording, replace user/guild/group/channel/message ids and openids by consistent pseudonyms'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l redact-content -d 'In the recording, blank message content'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_using_subcommand record" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l speed -d 'Pace at the recorded speed times X (2 = twice as fast)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l from-seq -d 'Only dispatches with s ≥ N' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l to-seq -d 'Only dispatches with s ≤ N' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l since -d 'Start at this offset into the recording (e.g. 30s, 5m)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l until -d 'Stop at this offset into the recording' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -s e -l events -d 'Only these event types (comma-separated)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l guild -d 'Only events of this guild id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l channel -d 'Only events of this channel id' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l group -d 'Only events of this group openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l user -d 'Only events from this user id or openid' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l serve -d 'Act as a QQ platform on ADDR and deliver the recording\'s dispatches to whatever bot connects (any SDK; point its API base and token URL at the printed URLs)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l max-speed -d 'No pacing: as fast as possible'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l include-control -d 'Also replay lifecycle lines (connected, closes, resumes, heartbeats)'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l stats -d 'Print a summary instead of the events'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -f -a "list" -d 'Every intent bit: value, name, aliases used by other SDKs, access level and events'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -f -a "explain" -d 'Explain one intent (name, alias or bit) or break an intents value into its bits'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and not __fish_seen_subcommand_from list explain help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every intent bit: value, name, aliases used by other SDKs, access level and events'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from help" -f -a "explain" -d 'Explain one intent (name, alias or bit) or break an intents value into its bits'
complete -c qqbot -n "__fish_qqbot_using_subcommand intents; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l profile -d 'Config profile to use ([profile.NAME]; env QQBOT_PROFILE)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l api-base -d 'OpenAPI base URL (env QQBOT_API_BASE). The gateway URL comes from /gateway/bot' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l token-url -d 'Access-token endpoint (env QQBOT_TOKEN_URL)' -r
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l secret-file -d 'Read the bot secret from this file instead of the environment' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l config -d 'Config file (env QQBOT_CONFIG; default: the user config dir\'s qqbot/config.toml)' -r -F
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and `NO_COLOR` is unset'
always\t'Always colour (human output only; JSON is never coloured)'
never\t'Never colour'"
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l sandbox -d 'Use the sandbox environment (sandbox.api.sgroup.qq.com; env QQBOT_SANDBOX)'
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -s q -l quiet -d 'Print less: errors only'
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -s v -l verbose -d 'Print more (-v debug, -vv trace). RUST_LOG overrides'
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -l json -d 'Machine-readable output (NDJSON or JSON) even on a terminal'
complete -c qqbot -n "__fish_qqbot_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate record replay explain intents completions help" -f -a "listen" -d 'Connect to the gateway and stream events (human lines on a terminal, NDJSON when piped)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate record replay explain intents completions help" -f -a "emulate" -d 'Run a local emulator of the QQ platform (token endpoint, OpenAPI, gateway, faults)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate record replay explain intents completions help" -f -a "record" -d 'Record a gateway session to a file (every `listen` option applies)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate record replay explain intents completions help" -f -a "replay" -d 'Replay a recording: print it as `listen` did, summarise it, or serve it to a bot'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate record replay explain intents completions help" -f -a "explain" -d 'Explain a gateway close code or an OpenAPI error code, offline'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate record replay explain intents completions help" -f -a "intents" -d 'List and explain intents, from the intents table'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate record replay explain intents completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and not __fish_seen_subcommand_from listen emulate record replay explain intents completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from intents" -f -a "list" -d 'Every intent bit: value, name, aliases used by other SDKs, access level and events'
complete -c qqbot -n "__fish_qqbot_using_subcommand help; and __fish_seen_subcommand_from intents" -f -a "explain" -d 'Explain one intent (name, alias or bit) or break an intents value into its bits'
