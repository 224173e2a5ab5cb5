//! `qqbot config init | set | show`: files written 0600, profiles not overwritten without --force,
//! secrets only from stdin and never in any output.

mod cli_support;

use cli_support::{Harness, quiet, run};
use serde_json::Value;

const FILE_SECRET: &str = "file-secret-9f8e7d";
const ENV_SECRET: &str = "env-secret-1a2b3c";

fn assert_no_secret(out: &str) {
    for secret in [FILE_SECRET, ENV_SECRET] {
        assert!(!out.contains(secret), "a secret leaked: {out}");
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_a_0600_file_and_refuses_to_overwrite_a_profile() {
    let h = Harness::start(quiet());
    let path = h.config_path();
    let (stdout, stderr, code) = run(h
        .bare()
        .args([
            "config",
            "init",
            "--profile",
            "dev",
            "--app-id",
            "102000001",
            "--secret-stdin",
            "--public",
        ])
        .write_stdin(format!("{FILE_SECRET}\n")));
    assert_eq!(code, 0, "{stderr}");
    assert_no_secret(&(stdout.clone() + &stderr));
    assert!(stderr.contains("wrote profile `dev`"), "{stderr}");
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[profile.dev]"), "{text}");
    assert!(text.contains("app_id = \"102000001\""), "{text}");
    assert!(text.contains("public = true"), "{text}");
    assert!(text.contains("default_profile = \"dev\""), "{text}");
    assert!(
        text.contains(FILE_SECRET),
        "the secret is stored in the file"
    );

    let (_, stderr, code) =
        run(h
            .bare()
            .args(["config", "init", "--profile", "dev", "--app-id", "999"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("profile `dev` already exists"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("102000001")
    );

    let (_, stderr, code) = run(h.bare().args([
        "config",
        "init",
        "--profile",
        "dev",
        "--app-id",
        "999",
        "--force",
        "--sandbox",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("app_id = \"999\"") && text.contains("sandbox = true"),
        "{text}"
    );
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    // A second profile lands next to the first.
    let (_, stderr, code) =
        run(h
            .bare()
            .args(["config", "init", "--profile", "prod", "--app-id", "5"]));
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("[profile.prod]") && text.contains("[profile.dev]"),
        "{text}"
    );

    let (_, stderr, code) = run(h.bare().args(["config", "init", "--profile", "x"]));
    assert_eq!(code, 2, "no app id and no terminal");
    assert!(stderr.contains("--app-id is required"), "{stderr}");
}

#[test]
fn show_never_prints_a_secret_and_says_where_values_came_from() {
    let h = Harness::start(quiet());
    let (_, _, code) = run(h
        .bare()
        .args([
            "config",
            "init",
            "--app-id",
            "102000002",
            "--secret-stdin",
            "--private",
        ])
        .write_stdin(FILE_SECRET));
    assert_eq!(code, 0);

    let (stdout, stderr, code) = run(h.bare().args(["config", "show"]));
    assert_eq!(code, 0, "{stderr}");
    assert_no_secret(&(stdout.clone() + &stderr));
    assert!(
        stdout.contains("*** (set, from profile `default` in the config file)"),
        "{stdout}"
    );
    let app_id = stdout.lines().find(|l| l.starts_with("app_id")).unwrap();
    assert!(
        app_id.contains("102000002") && app_id.ends_with("profile `default` in the config file"),
        "{stdout}"
    );
    assert!(stdout.contains("private"), "{stdout}");

    let out = h
        .bare()
        .env("QQBOT_SECRET", ENV_SECRET)
        .env("QQBOT_APP_ID", "777")
        .args(["config", "show"])
        .output()
        .unwrap();
    for stream in [&out.stdout, &out.stderr] {
        for secret in [FILE_SECRET, ENV_SECRET] {
            assert!(
                !stream.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "secret bytes in the output"
            );
        }
    }
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("*** (set, from env QQBOT_SECRET)"),
        "{stdout}"
    );
    assert!(stdout.contains("env QQBOT_APP_ID"), "{stdout}");
    let environment = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("environment"))
            .unwrap()
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(environment(&stdout), "production default");
    // Another API base is `custom`, from where that base came.
    let (stdout, _, _) = run(h
        .bare()
        .env("QQBOT_API_BASE", "http://127.0.0.1:9")
        .args(["config", "show"]));
    assert_eq!(environment(&stdout), "custom env QQBOT_API_BASE");

    let (stdout, stderr, code) = run(h
        .bare()
        .env("QQBOT_SECRET", ENV_SECRET)
        .args(["config", "show", "--json"]));
    assert_eq!(code, 0);
    assert_no_secret(&(stdout.clone() + &stderr));
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["secret"]["set"], true);
    assert_eq!(v["secret"]["source"], "env QQBOT_SECRET");
    assert_eq!(v["app_id"]["source"], "config file");
    assert_eq!(v["public"]["value"], false);
}

#[test]
fn set_edits_one_key_and_takes_secrets_from_stdin_only() {
    let h = Harness::start(quiet());
    // A profile is not created by accident: --force (or a yes on a terminal) creates it.
    let (_, stderr, code) = run(h.bare().args(["config", "set", "app_id", "102000003"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("qqbot: error: profile `default` does not exist in"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!h.config_path().exists());
    let (_, stderr, code) = run(h
        .bare()
        .args(["config", "set", "--force", "app_id", "102000003"]));
    assert_eq!(code, 0, "{stderr}");
    let path = h.config_path().display().to_string();
    assert!(
        stderr.contains(&format!("created profile `default` in {path}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("set app_id in profile `default` ({path})")),
        "{stderr}"
    );
    let (_, _, code) = run(h.bare().args(["config", "set", "sandbox", "true"]));
    assert_eq!(code, 0);
    let (_, _, code) =
        run(h
            .bare()
            .args(["config", "set", "intents", "guilds,group_and_c2c_event"]));
    assert_eq!(code, 0);
    #[cfg(unix)]
    assert_eq!(mode(&h.config_path()), 0o600);

    let (stdout, _, _) = run(h.bare().args(["config", "show", "--json"]));
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["app_id"]["value"], "102000003");
    assert_eq!(v["sandbox"]["value"], true);
    assert_eq!(v["api_base"]["value"], "https://sandbox.api.sgroup.qq.com");
    assert_eq!(v["intents"]["value"], "guilds,group_and_c2c_event");

    // A secret on the command line is refused, and not echoed back.
    let (stdout, stderr, code) = run(h.bare().args(["config", "set", "secret", FILE_SECRET]));
    assert_eq!(code, 2);
    assert_no_secret(&(stdout + &stderr));
    assert!(stderr.contains("--secret-stdin"), "{stderr}");
    assert!(
        !std::fs::read_to_string(h.config_path())
            .unwrap()
            .contains(FILE_SECRET)
    );

    let (stdout, stderr, code) = run(h
        .bare()
        .args(["config", "set", "secret", "--secret-stdin"])
        .write_stdin(format!("{FILE_SECRET}\n")));
    assert_eq!(code, 0, "{stderr}");
    assert_no_secret(&(stdout + &stderr));
    assert!(
        std::fs::read_to_string(h.config_path())
            .unwrap()
            .contains(FILE_SECRET)
    );

    // Replacing a stored secret needs --force.
    let (_, stderr, code) = run(h
        .bare()
        .args(["config", "set", "secret", "--secret-stdin"])
        .write_stdin("another-secret\n"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("not replacing the secret of profile `default` in"),
        "{stderr}"
    );
    assert!(
        std::fs::read_to_string(h.config_path())
            .unwrap()
            .contains(FILE_SECRET)
    );
    let (_, stderr, code) = run(h
        .bare()
        .args(["config", "set", "secret", "--secret-stdin", "--force"])
        .write_stdin("another-secret\n"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("set secret in profile `default`"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(h.config_path()).unwrap();
    assert!(text.contains("another-secret") && !text.contains(FILE_SECRET));

    // `--profile dev` before the command, as the README has it: not created silently.
    let (_, stderr, code) =
        run(h
            .bare()
            .args(["--profile", "dev", "config", "set", "sandbox", "true"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("profile `dev` does not exist")
            && stderr.contains("existing profiles: default"),
        "{stderr}"
    );
    assert!(
        !std::fs::read_to_string(h.config_path())
            .unwrap()
            .contains("dev")
    );

    let (_, _, code) = run(h.bare().args(["config", "set", "sandbox", "--unset"]));
    assert_eq!(code, 0);
    assert!(
        !std::fs::read_to_string(h.config_path())
            .unwrap()
            .contains("sandbox")
    );

    let (_, stderr, code) = run(h.bare().args(["config", "set", "intents", "gilds"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean"), "{stderr}");
    let (_, stderr, code) = run(h.bare().args(["config", "set", "colour", "blue"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown key `colour`"), "{stderr}");
    let (_, stderr, code) = run(h.bare().args(["config", "set", "public", "maybe"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("expected true or false"), "{stderr}");
}

#[test]
fn a_configured_profile_drives_send_against_the_emulator() {
    let h = Harness::start(quiet());
    let (_, _, code) = run(h
        .bare()
        .args([
            "config",
            "init",
            "--profile",
            "emu",
            "--app-id",
            &h.emu.config().app_id,
            "--secret-stdin",
        ])
        .write_stdin(qqbot::emulator::DEFAULT_SECRET));
    assert_eq!(code, 0);
    for (key, value) in [
        ("api_base", h.emu.api_base()),
        ("token_url", h.emu.token_url()),
    ] {
        let (_, _, code) = run(h
            .bare()
            .args(["--profile", "emu", "config", "set", key, &value]));
        assert_eq!(code, 0);
    }
    let (_, stderr, code) = run(h
        .bare()
        .args(["--profile", "emu", "doctor", "--no-gateway"]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn config_show_keeps_the_source_column_aligned_for_long_values() {
    let h = Harness::start(quiet());
    let long = "http://127.0.0.1:1/a/very/long/path/that/goes/well/past/forty/columns/of/text";
    let (stdout, stderr, code) =
        run(h
            .bare()
            .env("QQBOT_APP_ID", "102000003")
            .args(["config", "show", "--api-base", long]));
    assert_eq!(code, 0, "{stderr}");
    let column = |key: &str, source: &str| {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} line: {stdout}"));
        line.find(source)
            .unwrap_or_else(|| panic!("no {source} in {line}"))
    };
    let api = column("api_base", "flag --api-base");
    assert_eq!(column("app_id", "env QQBOT_APP_ID"), api, "{stdout}");
    assert_eq!(column("token_url", "default"), api, "{stdout}");
    assert!(stdout.lines().all(|l| l == l.trim_end()), "{stdout:?}");
}
