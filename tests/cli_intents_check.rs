//! `qqbot intents check`: static checks, `--for-events`, and `--live` bisection against the
//! emulator's grant (exact granted set, identify budget, refusal when the budget is too small).

mod cli_support;

use cli_support::{Harness, quiet, run};
use qqbot::emulator::EmulatorConfig;
use qqbot::protocol::Intents;
use serde_json::Value;

fn identifies(h: &Harness) -> usize {
    h.emu
        .received_frames()
        .iter()
        .filter(|f| f.op == Some(2))
        .count()
}

#[test]
fn live_check_with_a_partial_grant_finds_exactly_the_granted_set_within_budget() {
    let grant = Intents::parse("guilds,public_guild_messages,group_and_c2c_event").unwrap();
    let h = Harness::start(EmulatorConfig { grant, ..quiet() });
    let before = h.emu.session_start_remaining();
    let (stdout, stderr, code) =
        run(h
            .qqbot()
            .args(["intents", "check", "--live", "--intents", "all", "--json"]));
    assert_eq!(code, 5, "not everything requested is granted: {stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["granted_value"], grant.bits(), "{v}");
    assert_eq!(
        v["granted"],
        serde_json::json!(["GUILDS", "GROUP_AND_C2C_EVENT", "PUBLIC_GUILD_MESSAGES"])
    );
    assert_eq!(
        v["intents"],
        "guilds,group_and_c2c_event,public_guild_messages"
    );
    assert_eq!(v["unknown"], serde_json::json!([]));
    let n = Intents::all().bits().count_ones() as usize;
    let attempts = v["identify_attempts"].as_u64().unwrap() as usize;
    let worst = 2 * n - 1;
    assert!(attempts <= worst, "{attempts} attempts for {n} bits");
    assert_eq!(identifies(&h), attempts, "one Identify per trial");
    let spent = (before - h.emu.session_start_remaining()) as usize;
    assert!(spent >= 1 && spent <= attempts, "spent {spent}");
    assert!(
        stderr.contains(&format!("at most {}", 2 * n - 1)),
        "{stderr}"
    );
    // Denied bits are named in the human form too.
    let (stdout, _, code) =
        run(h
            .qqbot()
            .args(["intents", "check", "--live", "-i", "guilds,direct_message"]));
    assert_eq!(code, 5);
    assert!(stdout.contains("✓ granted  GUILDS"), "{stdout}");
    assert!(stdout.contains("✗ denied   DIRECT_MESSAGE"), "{stdout}");
    assert!(stdout.contains("use: --intents guilds"), "{stdout}");
}

#[test]
fn live_check_of_granted_intents_costs_one_identify() {
    let h = Harness::start(quiet());
    let (stdout, stderr, code) =
        run(h
            .qqbot()
            .args(["intents", "check", "--live", "--intents", "default"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("1 identify attempt(s)"), "{stdout}");
    assert_eq!(identifies(&h), 1);
}

#[test]
fn live_check_refuses_when_the_session_budget_is_too_small() {
    let h = Harness::start(EmulatorConfig {
        session_start_total: 3,
        ..quiet()
    });
    let (stdout, stderr, code) =
        run(h
            .qqbot()
            .args(["intents", "check", "--live", "--intents", "all"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("not probing: the session budget is too small (3 remaining"),
        "{stderr}"
    );
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(identifies(&h), 0, "no session start spent");

    // --yes runs within the remaining budget.
    let (stdout, stderr, code) = run(h.qqbot().args([
        "intents",
        "check",
        "--live",
        "--intents",
        "all",
        "--yes",
        "--json",
    ]));
    assert_eq!(code, 0, "everything is granted: {stderr}");
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["identify_attempts"], 1);
}

#[test]
fn live_check_stops_on_a_non_intents_refusal() {
    let h = Harness::start(EmulatorConfig {
        scenario: qqbot::emulator::Scenario::Offline4914,
        ..quiet()
    });
    let (_, stderr, code) = run(h
        .qqbot()
        .args(["intents", "check", "--live", "-i", "default"]));
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("not an intents refusal"), "{stderr}");
    assert!(stderr.contains("4914"), "{stderr}");
}

#[test]
fn for_events_prints_the_minimal_intents() {
    let h = Harness::start(quiet());
    let (stdout, stderr, code) = run(h.bare().args([
        "intents",
        "check",
        "--for-events",
        "AT_MESSAGE_CREATE,C2C_MESSAGE_CREATE",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("use: --intents group_and_c2c_event,public_guild_messages"),
        "{stdout}"
    );
    let (stdout, _, code) = run(h.bare().args([
        "intents",
        "check",
        "--json",
        "--for-events",
        "GROUP_AT_MESSAGE_CREATE,READY",
    ]));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["value"], 1u64 << 25);
    let (_, stderr, code) =
        run(h
            .bare()
            .args(["intents", "check", "--for-events", "NOT_AN_EVENT"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no known intent delivers NOT_AN_EVENT"),
        "{stderr}"
    );
}

#[test]
fn static_check_names_problems() {
    let h = Harness::start(quiet());
    let (_, stderr, code) = run(h.bare().args([
        "intents",
        "check",
        "--intents",
        "guilds,publc_guild_messages",
    ]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("did you mean `PUBLIC_GUILD_MESSAGES`"),
        "{stderr}"
    );

    let (stdout, _, code) = run(h.bare().args([
        "intents",
        "check",
        "--intents",
        "guild_messages,public_guild_messages",
        "--public",
    ]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("✗ GUILD_MESSAGES only work for private-domain bots"),
        "{stdout}"
    );
    assert!(stdout.contains("overlap"), "{stdout}");
    // The intents may also be given positionally, as `intents explain` takes them.
    let (positional, _, code) = run(h.bare().args([
        "intents",
        "check",
        "guild_messages,public_guild_messages",
        "--public",
    ]));
    assert_eq!(code, 1);
    assert_eq!(positional, stdout);
    let (_, stderr, code) =
        run(h
            .bare()
            .args(["intents", "check", "guilds", "--intents", "guilds"]));
    assert_eq!(code, 2, "both forms at once is a usage error: {stderr}");

    let (stdout, _, code) = run(h.bare().args([
        "intents",
        "check",
        "--intents",
        "guild_messages",
        "--private",
        "--json",
    ]));
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["ok"], true);

    // The profile's `public = true` is honoured.
    std::fs::create_dir_all(h.config_path().parent().unwrap()).unwrap();
    std::fs::write(
        h.config_path(),
        "[profile.default]\npublic = true\nintents = \"forums_event\"\n",
    )
    .unwrap();
    let (stdout, _, code) = run(h.bare().args(["intents", "check"]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("FORUMS_EVENT only work for private-domain bots"),
        "{stdout}"
    );
}

/// `--live --emulator` probes an embedded emulator (which grants every intent) without
/// credentials: one trial Identify, everything granted.
#[test]
fn live_check_against_an_embedded_emulator_needs_no_credentials() {
    let out = cli_support::qqbot_command()
        .args([
            "intents",
            "check",
            "--live",
            "--emulator",
            "--json",
            "-i",
            "guilds,group_and_c2c_event",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        v["granted"],
        serde_json::json!(["GUILDS", "GROUP_AND_C2C_EVENT"])
    );
    assert_eq!(v["denied"], serde_json::json!([]));
    assert_eq!(v["identify_attempts"], 1);
    // Without --live there is nothing to probe.
    let out = cli_support::qqbot_command()
        .args(["intents", "check", "--emulator", "-i", "guilds"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
