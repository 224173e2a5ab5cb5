//! `qqbot config init | set | show`: write profiles to the config file (mode 0600) and show the
//! resolved settings with where each value came from. Secrets are read from stdin only and never
//! printed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use qqbot::Secret;
use qqbot::config::{self, ConfigFile, ProfileFile, Settings, Sourced};
use qqbot::protocol::Intents;

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};
use super::listen::settings;

/// `qqbot config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Create a profile (interactive on a terminal; else from flags and --secret-stdin).
    #[command(after_help = super::help::config_init())]
    Init(InitArgs),
    /// Set one key of the profile (app_id, sandbox, public, api_base, token_url, intents,
    /// default_profile; secret only with --secret-stdin).
    #[command(after_help = super::help::config_set())]
    Set(SetArgs),
    /// Show the resolved settings and where each value came from (secrets redacted).
    #[command(after_help = super::help::config_show())]
    Show(ShowArgs),
}

/// Arguments of `qqbot config show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Credentials and endpoints (as the other commands would resolve them).
    #[command(flatten)]
    pub conn: super::ConnArgs,
}

/// Arguments of `qqbot config init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Config file and profile.
    #[command(flatten)]
    pub profile: super::ProfileArgs,
    /// The profile uses the sandbox environment.
    #[arg(long)]
    pub sandbox: bool,
    /// The bot's app id (AppID in the QQ console).
    #[arg(long, value_name = "ID")]
    pub app_id: Option<String>,
    /// Read the secret (AppSecret) from the first line of stdin.
    #[arg(long)]
    pub secret_stdin: bool,
    /// The bot is public-domain.
    #[arg(long, conflicts_with = "private")]
    pub public: bool,
    /// The bot is private-domain.
    #[arg(long)]
    pub private: bool,
    /// Replace an existing profile of the same name.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `qqbot config set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// Config file and profile.
    #[command(flatten)]
    pub profile: super::ProfileArgs,
    /// The key: app_id, secret, sandbox, public, api_base, token_url, intents, default_profile.
    #[arg(value_name = "KEY")]
    pub key: String,
    /// The value (not for `secret`: use --secret-stdin).
    #[arg(value_name = "VALUE", required_unless_present_any = ["secret_stdin", "unset"])]
    pub value: Option<String>,
    /// With `secret`: read it from the first line of stdin.
    #[arg(long)]
    pub secret_stdin: bool,
    /// Remove the key from the profile.
    #[arg(long, conflicts_with_all = ["value", "secret_stdin"])]
    pub unset: bool,
    /// Create the profile when it does not exist yet, and replace a stored secret (both are
    /// refused without it; a terminal is asked instead).
    #[arg(long)]
    pub force: bool,
}

/// Run `qqbot config …`.
pub fn run(global: &GlobalArgs, cmd: ConfigCommand) -> CliResult {
    match cmd {
        ConfigCommand::Init(args) => init(global, args),
        ConfigCommand::Set(args) => set(global, args),
        ConfigCommand::Show(_) => show(global),
    }
}

fn config_path(global: &GlobalArgs) -> Result<PathBuf, CliError> {
    global
        .config
        .clone()
        .or_else(|| {
            std::env::var_os("QQBOT_CONFIG")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(config::default_config_path)
        .ok_or_else(|| {
            CliError::failure("no config directory").hint("pass --config PATH or set QQBOT_CONFIG")
        })
}

fn load(path: &std::path::Path) -> Result<ConfigFile, CliError> {
    config::load_file(path)
        .map(Option::unwrap_or_default)
        .map_err(|e| CliError::failure("cannot load the configuration").caused_by(&e))
}

fn save(path: &std::path::Path, file: &ConfigFile) -> Result<(), CliError> {
    config::write_file(path, file)
        .map_err(|e| CliError::failure("cannot save the configuration").caused_by(&e))
}

/// The profile to edit: --profile, QQBOT_PROFILE, the file's default_profile, else `default`.
fn profile_name(global: &GlobalArgs, file: &ConfigFile) -> String {
    global
        .profile
        .clone()
        .or_else(|| {
            std::env::var("QQBOT_PROFILE")
                .ok()
                .filter(|p| !p.is_empty())
        })
        .or_else(|| file.default_profile.clone())
        .unwrap_or_else(|| "default".to_owned())
}

fn read_secret_line(stdin: &mut dyn BufRead) -> Result<Secret, CliError> {
    let mut line = String::new();
    stdin
        .read_line(&mut line)
        .map_err(|e| CliError::failure("cannot read the secret from stdin").caused_by(&e))?;
    let secret = line.trim();
    if secret.is_empty() {
        return Err(CliError::usage("--secret-stdin: stdin was empty")
            .hint("e.g. `printf %s \"$SECRET\" | qqbot config set secret --secret-stdin`"));
    }
    Ok(Secret::new(secret))
}

fn prompt(question: &str, stdin: &mut dyn BufRead) -> Result<String, CliError> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let n = stdin
        .read_line(&mut line)
        .map_err(|e| CliError::failure("cannot read from the terminal").caused_by(&e))?;
    if n == 0 {
        return Err(CliError::new(Exit::Interrupted, "input ended"));
    }
    Ok(line.trim().to_owned())
}

/// Turn terminal echo off (or back on) with `stty`; false when that is not possible.
#[cfg(unix)]
fn set_echo(on: bool) -> bool {
    let Ok(tty) = std::fs::File::open("/dev/tty") else {
        return false;
    };
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(tty)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(not(unix))]
fn set_echo(_on: bool) -> bool {
    false
}

fn prompt_secret(stdin: &mut dyn BufRead) -> Result<Option<Secret>, CliError> {
    let hidden = set_echo(false);
    let note = if hidden {
        ""
    } else {
        " (input is visible: echo could not be turned off)"
    };
    let answer = prompt(
        &format!("AppSecret{note} (empty: keep it out of the file, use QQBOT_SECRET): "),
        stdin,
    );
    if hidden {
        set_echo(true);
        eprintln!();
    }
    let answer = answer?;
    Ok((!answer.is_empty()).then(|| Secret::new(answer)))
}

fn yes_no(answer: &str) -> Option<bool> {
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "1" => Some(true),
        "n" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn init(global: &GlobalArgs, args: InitArgs) -> CliResult {
    let path = config_path(global)?;
    let mut file = load(&path)?;
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal() && !args.secret_stdin && args.app_id.is_none();
    let mut input = stdin.lock();

    let mut name = profile_name(global, &file);
    let mut profile = ProfileFile::default();
    if interactive {
        eprintln!("qqbot: creating a profile in {}", path.display());
        let answer = prompt(&format!("Profile name [{name}]: "), &mut input)?;
        if !answer.is_empty() {
            name = answer;
        }
        if file.profile.contains_key(&name) && !args.force {
            return Err(exists(&name, &path));
        }
        let app_id = prompt("AppID: ", &mut input)?;
        if app_id.is_empty() {
            return Err(CliError::usage("an app id is required"));
        }
        profile.app_id = Some(app_id);
        profile.secret = prompt_secret(&mut input)?;
        let sandbox = prompt("Sandbox environment? [y/N]: ", &mut input)?;
        profile.sandbox = Some(yes_no(&sandbox).unwrap_or(false));
        let public = prompt("Public-domain bot? [y/n, empty: unknown]: ", &mut input)?;
        profile.public = yes_no(&public);
    } else {
        if file.profile.contains_key(&name) && !args.force {
            return Err(exists(&name, &path));
        }
        let Some(app_id) = args.app_id.clone().filter(|a| !a.trim().is_empty()) else {
            return Err(
                CliError::usage("--app-id is required when stdin is not a terminal")
                    .hint("qqbot config init --app-id 102000000 --secret-stdin < secret.txt"),
            );
        };
        profile.app_id = Some(app_id.trim().to_owned());
        if args.secret_stdin {
            profile.secret = Some(read_secret_line(&mut input)?);
        }
        profile.sandbox = global.sandbox.then_some(true);
        profile.public = if args.public {
            Some(true)
        } else if args.private {
            Some(false)
        } else {
            None
        };
    }
    if interactive && (args.public || args.private) {
        profile.public = Some(args.public);
    }
    if interactive && global.sandbox {
        profile.sandbox = Some(true);
    }
    let has_secret = profile.secret.is_some();
    file.profile.insert(name.clone(), profile);
    if file.default_profile.is_none() {
        file.default_profile = Some(name.clone());
    }
    save(&path, &file)?;
    if global.json {
        outln!(
            "{}",
            json!({"written": path.display().to_string(), "profile": name, "secret_stored": has_secret})
        )?;
    } else if !global.quiet {
        eprintln!(
            "qqbot: wrote profile `{name}` to {} (mode 0600){}",
            path.display(),
            if has_secret {
                ""
            } else {
                "; no secret stored: set QQBOT_SECRET, use --secret-file, or `qqbot config set secret --secret-stdin`"
            }
        );
        eprintln!(
            "qqbot: next: `qqbot doctor --profile {name}` checks the credentials and the gateway"
        );
    }
    Ok(Exit::Ok)
}

fn exists(name: &str, path: &std::path::Path) -> CliError {
    CliError::failure(format!(
        "profile `{name}` already exists in {}",
        path.display()
    ))
    .hint("pass --force to replace it, or --profile OTHER for a new one")
}

fn parse_bool(key: &str, value: &str) -> Result<bool, CliError> {
    yes_no(value)
        .ok_or_else(|| CliError::usage(format!("{key}: expected true or false, got `{value}`")))
}

fn set(global: &GlobalArgs, args: SetArgs) -> CliResult {
    let path = config_path(global)?;
    let mut file = load(&path)?;
    let name = profile_name(global, &file);
    let key = args.key.trim().to_ascii_lowercase().replace('-', "_");
    if key == "secret" && args.value.is_some() {
        return Err(CliError::usage(
            "refusing a secret on the command line (it would stay in the shell history and the process list)",
        )
        .hint("printf %s \"$SECRET\" | qqbot config set secret --secret-stdin"));
    }
    if args.secret_stdin && key != "secret" {
        return Err(CliError::usage(
            "--secret-stdin is only for the `secret` key",
        ));
    }
    let value = args.value.clone().map(|v| v.trim().to_owned());
    if key == "default_profile" {
        file.default_profile = if args.unset { None } else { value.clone() };
        save(&path, &file)?;
        done(global, &key, &name, &path, args.unset)?;
        return Ok(Exit::Ok);
    }
    const KEYS: [&str; 7] = [
        "app_id",
        "secret",
        "sandbox",
        "public",
        "api_base",
        "token_url",
        "intents",
    ];
    if !KEYS.contains(&key.as_str()) {
        return Err(CliError::usage(format!("unknown key `{key}`")).hint(
            "keys: app_id, secret, sandbox, public, api_base, token_url, intents, default_profile",
        ));
    }
    let created = !file.profile.contains_key(&name);
    if created && !args.unset && !args.force {
        let question = format!(
            "profile `{name}` does not exist in {}; create it? [y/N]: ",
            path.display()
        );
        if !confirm(&question)? {
            let known: Vec<&str> = file.profile.keys().map(String::as_str).collect();
            return Err(CliError::usage(format!(
                "profile `{name}` does not exist in {}",
                path.display()
            ))
            .hint(if known.is_empty() {
                "create it with `qqbot config init`, or pass --force to create it with this key".to_owned()
            } else {
                format!(
                    "existing profiles: {}; pass --force to create `{name}`, or `qqbot config init --profile {name}`",
                    known.join(", ")
                )
            }));
        }
    }
    if created && args.unset {
        return Err(CliError::usage(format!(
            "profile `{name}` does not exist in {}: nothing to remove",
            path.display()
        )));
    }
    if key == "secret"
        && !args.unset
        && !args.force
        && file.profile.get(&name).is_some_and(|p| p.secret.is_some())
    {
        // stdin carries the new secret, so only a terminal on stderr can be asked (via /dev/tty).
        let question = format!(
            "profile `{name}` in {} already has a secret; replace it? [y/N]: ",
            path.display()
        );
        if !confirm(&question)? {
            return Err(CliError::failure(format!(
                "not replacing the secret of profile `{name}` in {}",
                path.display()
            ))
            .hint(
                "pass --force to replace it, or --profile OTHER to store it in another profile",
            ));
        }
    }
    let profile = file.profile.entry(name.clone()).or_default();
    let v = || value.clone().unwrap_or_default();
    match key.as_str() {
        "app_id" => profile.app_id = (!args.unset).then(v),
        "secret" => {
            profile.secret = if args.unset {
                None
            } else {
                Some(read_secret_line(&mut std::io::stdin().lock())?)
            }
        }
        "sandbox" => {
            profile.sandbox = if args.unset {
                None
            } else {
                Some(parse_bool(&key, &v())?)
            }
        }
        "public" => {
            profile.public = if args.unset {
                None
            } else {
                Some(parse_bool(&key, &v())?)
            }
        }
        "api_base" => profile.api_base = (!args.unset).then(v),
        "token_url" => profile.token_url = (!args.unset).then(v),
        "intents" => {
            if !args.unset {
                Intents::parse(&v()).map_err(|e| {
                    CliError::usage(format!("intents: {e}"))
                        .hint("`qqbot intents list` shows every name and alias")
                })?;
            }
            profile.intents = (!args.unset).then(v);
        }
        other => {
            return Err(CliError::usage(format!("unknown key `{other}`")).hint(
                "keys: app_id, secret, sandbox, public, api_base, token_url, intents, default_profile",
            ));
        }
    }
    if file.default_profile.is_none() {
        file.default_profile = Some(name.clone());
    }
    save(&path, &file)?;
    if created && !global.quiet && !global.json {
        eprintln!("qqbot: created profile `{name}` in {}", path.display());
    }
    done(global, &key, &name, &path, args.unset)?;
    Ok(Exit::Ok)
}

/// Ask a yes/no question on the terminal (`/dev/tty`, so it works while stdin is a pipe);
/// `false` without a terminal.
fn confirm(question: &str) -> Result<bool, CliError> {
    if !std::io::stderr().is_terminal() {
        return Ok(false);
    }
    let Ok(tty) = std::fs::File::open("/dev/tty") else {
        return Ok(false);
    };
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::BufReader::new(tty)
        .read_line(&mut answer)
        .map_err(|e| CliError::failure("cannot read the answer").caused_by(&e))?;
    Ok(yes_no(&answer) == Some(true))
}

fn done(
    global: &GlobalArgs,
    key: &str,
    profile: &str,
    path: &std::path::Path,
    unset: bool,
) -> std::io::Result<()> {
    if global.json {
        outln!(
            "{}",
            json!({"profile": profile, "key": key, "unset": unset, "written": path.display().to_string()})
        )?;
    } else if !global.quiet {
        eprintln!(
            "qqbot: {} {key} in profile `{profile}` ({})",
            if unset { "removed" } else { "set" },
            path.display()
        );
    }
    Ok(())
}

fn row<T: ToString>(value: &Option<Sourced<T>>, profile: &str) -> (String, String) {
    match value {
        Some(v) => (v.value.to_string(), v.source.label_in(profile)),
        None => ("(not set)".to_owned(), "-".to_owned()),
    }
}

fn show(global: &GlobalArgs) -> CliResult {
    let s: Settings = settings(global)?;
    let secret_text = match &s.secret {
        Some(secret) => format!(
            "*** (set, from {})",
            secret.source.label_in(&s.profile.value)
        ),
        None => "(not set)".to_owned(),
    };
    let path = s
        .config_path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(none)".to_owned());
    let profiles: Vec<String> = s
        .config_path
        .as_ref()
        .and_then(|p| config::load_file(p).ok().flatten())
        .map(|f| f.profile.keys().cloned().collect())
        .unwrap_or_default();
    if global.json {
        let sourced =
            |value: serde_json::Value, source: String| json!({"value": value, "source": source});
        let opt = |v: &Option<Sourced<String>>| match v {
            Some(v) => sourced(json!(v.value), v.source.to_string()),
            None => json!(null),
        };
        outln!(
            "{}",
            json!({
                "config_file": path, "config_exists": s.config_exists, "profiles": profiles,
                "profile": sourced(json!(s.profile.value), s.profile.source.to_string()),
                "app_id": opt(&s.app_id),
                "secret": s.secret.as_ref().map(|v| json!({"set": true, "source": v.source.to_string()})),
                "sandbox": sourced(json!(s.sandbox.value), s.sandbox.source.to_string()),
                "public": s.public.as_ref().map(|v| sourced(json!(v.value), v.source.to_string())),
                "api_base": sourced(json!(s.api_base.value), s.api_base.source.to_string()),
                "token_url": sourced(json!(s.token_url.value), s.token_url.source.to_string()),
                "intents": opt(&s.intents),
                "warnings": s.warnings,
            })
        )?;
        return Ok(Exit::Ok);
    }
    outln!(
        "config file  {path}{}",
        if s.config_exists {
            ""
        } else {
            " (does not exist)"
        }
    )?;
    if !profiles.is_empty() {
        outln!("profiles     {}", profiles.join(", "))?;
    }
    // Rows first, then one width for the value column, so long values (an api_base with a
    // path, a long intents list) do not push their source out of line.
    let mut rows: Vec<(&str, String, String)> = Vec::new();
    let mut line = |key: &'static str, value: &str, source: &str| -> std::io::Result<()> {
        rows.push((key, value.to_owned(), source.to_owned()));
        Ok(())
    };
    line(
        "profile",
        &s.profile.value,
        &s.profile.source.label_in(&s.profile.value),
    )?;
    let (v, src) = row(&s.app_id, &s.profile.value);
    line("app_id", &v, &src)?;
    line("secret", &secret_text, "")?;
    // The sandbox flag picks between the platform's two bases; another base overrides it.
    let environment = s.environment();
    let environment_source = if environment == "custom" {
        &s.api_base.source
    } else {
        &s.sandbox.source
    };
    line(
        "environment",
        environment,
        &environment_source.label_in(&s.profile.value),
    )?;
    let public = match &s.public {
        Some(p) => (
            if p.value { "public" } else { "private" }.to_owned(),
            p.source.label_in(&s.profile.value),
        ),
        None => ("(unknown)".to_owned(), "-".to_owned()),
    };
    line("bot type", &public.0, &public.1)?;
    line(
        "api_base",
        &s.api_base.value,
        &s.api_base.source.label_in(&s.profile.value),
    )?;
    line(
        "token_url",
        &s.token_url.value,
        &s.token_url.source.label_in(&s.profile.value),
    )?;
    let (v, src) = row(&s.intents, &s.profile.value);
    line("intents", &v, &src)?;
    let width = rows
        .iter()
        .map(|(_, value, _)| value.chars().count())
        .max()
        .unwrap_or(0)
        .max(10);
    for (key, value, source) in &rows {
        let pad = width - value.chars().count();
        let text = format!("{key:<12} {value}{:pad$}  {source}", "");
        outln!("{}", text.trim_end())?;
    }
    Ok(Exit::Ok)
}
