//! `qqbot intents check`: a static check of an intents choice, the minimal intents for a list of
//! events, and `--live`: which intents the application is actually granted, by trial Identify
//! with bisection (see `qqbot::gateway::probe`).

use std::time::Duration;

use clap::Args;
use serde_json::json;

use qqbot::gateway::BucketQueue;
use qqbot::gateway::probe::{self, BisectReport, TrialOutcome, Verdict, trial_identify};
use qqbot::protocol::close::close_info;
use qqbot::protocol::events::EventType;
use qqbot::protocol::intents::{self, Access, INTENTS, Intents};

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};
use super::listen::settings;
use super::send::{api_error, connect};

/// How long one trial Identify may take.
const TRIAL_TIMEOUT: Duration = Duration::from_secs(20);

/// Arguments of `qqbot intents check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Credentials and endpoints (for --live and the profile's settings).
    #[command(flatten)]
    pub conn: super::ConnArgs,
    /// The intents to check (names, aliases, numbers, `default`, `all`). Default: the profile's
    /// intents; with --live and no profile intents, `all`.
    #[arg(long, short = 'i', value_name = "INTENTS")]
    pub intents: Option<String>,
    /// The intents to check, as a positional argument (`qqbot intents check guilds,guild_messages`):
    /// the same as --intents.
    #[arg(value_name = "INTENTS", conflicts_with = "intents")]
    pub intents_arg: Option<String>,
    /// Print the minimal intents for these events (comma-separated `t` values).
    #[arg(
        long,
        value_name = "EVENTS",
        value_delimiter = ',',
        conflicts_with = "live"
    )]
    pub for_events: Vec<String>,
    /// The bot is public-domain (GUILD_MESSAGES and FORUMS_EVENT are then refused). Overrides the profile's `public`.
    #[arg(long, conflicts_with = "private")]
    pub public: bool,
    /// The bot is private-domain. Overrides the profile's `public`.
    #[arg(long)]
    pub private: bool,
    /// Find the granted intents by trial Identify against the gateway (spends session starts).
    #[arg(long)]
    pub live: bool,
    /// With --live: run even if the session budget does not cover the worst case (stop when it runs out).
    #[arg(long, requires = "live")]
    pub yes: bool,
    /// With --live: probe an embedded emulator instead (no credentials needed; it grants every
    /// intent, as `qqbot emulate` does by default).
    #[arg(long, requires = "live",
          conflicts_with_all = ["app_id", "secret_file", "sandbox", "api_base", "token_url"])]
    pub emulator: bool,
}

fn parse_intents(spec: &str) -> Result<Intents, CliError> {
    Intents::parse(spec).map_err(|e| {
        let err = CliError::usage(format!("--intents: {e}"));
        match e {
            intents::IntentError::UnknownName { .. } => {
                err.hint("`qqbot intents list` shows every name and the aliases other SDKs use")
            }
            _ => err,
        }
    })
}

/// One finding of the static check.
struct Finding {
    /// Will make Identify fail (as opposed to a remark).
    problem: bool,
    key: &'static str,
    text: String,
}

fn static_findings(intents: Intents, public: Option<bool>) -> Vec<Finding> {
    let mut out = Vec::new();
    let private_only: Vec<&str> = intents
        .infos()
        .filter(|i| i.access == Access::PrivateOnly)
        .map(|i| i.name)
        .collect();
    if !private_only.is_empty() {
        match public {
            Some(true) => out.push(Finding {
                problem: true,
                key: "private_only_on_public_bot",
                text: format!(
                    "{} only work for private-domain bots, and this bot is public: Identify will be refused (op 9, then close 4903 / 4014). Use PUBLIC_GUILD_MESSAGES for @-messages instead of GUILD_MESSAGES.",
                    private_only.join(", ")
                ),
            }),
            Some(false) => {}
            None => out.push(Finding {
                problem: false,
                key: "private_only_unknown_bot_type",
                text: format!(
                    "{} only work for private-domain bots; a public bot is refused (say --public or --private, or set `public` in the profile)",
                    private_only.join(", ")
                ),
            }),
        }
    }
    let has = |name: &str| intents.infos().any(|i| i.name == name);
    if has("GUILD_MESSAGES") && has("PUBLIC_GUILD_MESSAGES") {
        out.push(Finding {
            problem: false,
            key: "overlap_guild_messages",
            text: "GUILD_MESSAGES and PUBLIC_GUILD_MESSAGES overlap: an @-message arrives twice, as MESSAGE_CREATE and AT_MESSAGE_CREATE (dedup by message id, or keep one)".to_owned(),
        });
    }
    if has("FORUMS_EVENT") && has("OPEN_FORUMS_EVENT") {
        out.push(Finding {
            problem: false,
            key: "overlap_forums",
            text: "FORUMS_EVENT (private bots) and OPEN_FORUMS_EVENT (public bots) cover the same forum activity; keep the one that matches the bot type".to_owned(),
        });
    }
    let undocumented: Vec<&str> = intents
        .infos()
        .filter(|i| !i.documented)
        .map(|i| i.name)
        .collect();
    if !undocumented.is_empty() {
        out.push(Finding {
            problem: false,
            key: "undocumented",
            text: format!(
                "{} are outside the official intents table (used by botgo / nonebot); the gateway may refuse them",
                undocumented.join(", ")
            ),
        });
    }
    for (name, why) in [
        ("AUDIO_ACTION", "audio channels"),
        ("AUDIO_OR_LIVE_CHANNEL_MEMBER", "audio/live channels"),
    ] {
        if has(name) {
            out.push(Finding {
                problem: false,
                key: "legacy",
                text: format!("{name} ({why}) is a legacy guild feature absent from the v2 docs' event table; most bots do not need it"),
            });
        }
    }
    let unknown = intents.unknown_bits();
    if unknown != 0 {
        out.push(Finding {
            problem: true,
            key: "unknown_bits",
            text: format!("bits {unknown} are not in the intents table; the gateway refuses unknown intents (4013)"),
        });
    }
    out
}

/// `name1,name2` in the form `--intents` accepts (lower-case doc names).
fn flag_value(intents: Intents) -> String {
    if intents.0 == 0 {
        return "none".to_owned();
    }
    let mut parts: Vec<String> = intents
        .infos()
        .map(|i| i.name.to_ascii_lowercase())
        .collect();
    if intents.unknown_bits() != 0 {
        parts.push(intents.unknown_bits().to_string());
    }
    parts.join(",")
}

fn names(intents: Intents) -> Vec<&'static str> {
    intents.infos().map(|i| i.name).collect()
}

/// Run `qqbot intents check`.
pub async fn run(global: &GlobalArgs, args: CheckArgs) -> CliResult {
    if !args.for_events.is_empty() {
        return for_events(global, &args);
    }
    let mut settings = settings(global)?;
    let _emulator = if args.emulator {
        Some(super::listen::embedded_emulator(&mut settings).await?)
    } else {
        None
    };
    let public = if args.public {
        Some(true)
    } else if args.private {
        Some(false)
    } else {
        settings.public.as_ref().map(|p| p.value)
    };
    let spec = args
        .intents
        .clone()
        .or_else(|| args.intents_arg.clone())
        .or_else(|| settings.intents.as_ref().map(|i| i.value.clone()));
    if args.live {
        let requested = parse_intents(spec.as_deref().unwrap_or("all"))?;
        return live(global, &args, requested, public, &settings).await;
    }
    let Some(spec) = spec else {
        return Err(CliError::usage("nothing to check: give the intents (as an argument or --intents), --for-events or --live")
            .hint("e.g. qqbot intents check --intents guilds,public_guild_messages,group_and_c2c_event --public"));
    };
    let intents = parse_intents(&spec)?;
    let findings = static_findings(intents, public);
    let problems = findings.iter().filter(|f| f.problem).count();
    if global.json {
        let rows: Vec<_> = findings
            .iter()
            .map(|f| json!({"kind": f.key, "problem": f.problem, "text": f.text}))
            .collect();
        outln!(
            "{}",
            json!({
                "value": intents.bits(), "names": names(intents), "public": public,
                "findings": rows, "ok": problems == 0,
            })
        )?;
    } else {
        outln!("{} = {}", intents.bits(), intents.names())?;
        for info in intents.infos() {
            outln!(
                "  1<<{:<3} {:<29} {}",
                info.bit,
                info.name,
                info.access.label()
            )?;
        }
        for f in &findings {
            outln!("{} {}", if f.problem { "✗" } else { "!" }, f.text)?;
        }
        if findings.is_empty() {
            outln!("✓ no problems found")?;
        }
        // Never suggest a value that includes a bit marked ✗: a public bot drops the
        // private-only bits.
        let usable = if public == Some(true) {
            Intents(
                intents
                    .infos()
                    .filter(|i| i.access != intents::Access::PrivateOnly)
                    .fold(intents.unknown_bits(), |bits, i| bits | i.value()),
            )
        } else {
            intents
        };
        if usable.bits() != 0 {
            outln!("use: --intents {}", flag_value(usable))?;
        }
    }
    Ok(if problems == 0 {
        Exit::Ok
    } else {
        Exit::Failure
    })
}

fn for_events(global: &GlobalArgs, args: &CheckArgs) -> CliResult {
    let events: Vec<EventType> = args
        .for_events
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .map(|e| EventType::from_name(&e.to_ascii_uppercase()))
        .collect();
    if events.is_empty() {
        return Err(CliError::usage("--for-events: no events given"));
    }
    let (minimal, unknown) = Intents::minimal_for(&events);
    if global.json {
        outln!(
            "{}",
            json!({
                "events": events.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
                "value": minimal.bits(), "names": names(minimal), "intents": flag_value(minimal),
                "unknown_events": unknown,
            })
        )?;
    } else {
        for event in &events {
            let via = match event.intent() {
                qqbot::protocol::events::EventIntent::Always => "always delivered".to_owned(),
                qqbot::protocol::events::EventIntent::Intent(info) => {
                    format!("{} (1<<{}, {})", info.name, info.bit, info.access.label())
                }
                qqbot::protocol::events::EventIntent::NotKnown => "unknown intent".to_owned(),
            };
            outln!("  {:<28} {via}", event.as_str())?;
        }
        outln!("{} = {}", minimal.bits(), minimal.names())?;
        outln!("use: --intents {}", flag_value(minimal))?;
    }
    if !unknown.is_empty() {
        let err = CliError::usage(format!("no known intent delivers {}", unknown.join(", ")));
        let hint = if unknown.iter().any(|u| u == "GROUP_MESSAGE_CREATE") {
            "GROUP_MESSAGE_CREATE's intent bit is not documented yet"
        } else {
            "check the spelling against `qqbot intents list` (events column)"
        };
        return Err(err.hint(hint));
    }
    Ok(Exit::Ok)
}

fn humanise_ms(ms: u64) -> String {
    let mins = ms / 60_000;
    if mins >= 60 {
        format!("{}h{:02}m", mins / 60, mins % 60)
    } else {
        format!("{mins}m")
    }
}

async fn live(
    global: &GlobalArgs,
    args: &CheckArgs,
    requested: Intents,
    public: Option<bool>,
    settings: &qqbot::config::Settings,
) -> CliResult {
    if requested.0 == 0 {
        return Err(CliError::usage("--intents none: nothing to probe"));
    }
    let conn = connect(settings)?;
    let gateway = conn
        .api
        .gateway_bot()
        .await
        .map_err(|e| api_error("cannot read GET /gateway/bot", &e))?;
    let limit = gateway.session_start_limit;
    let n = requested.0.count_ones();
    let worst = probe::worst_case_trials(n);
    let quiet = global.quiet;
    if !quiet {
        eprintln!(
            "qqbot: probing {n} intent(s) by trial Identify: 1 session start if all are granted, at most {worst}; {} of {} remaining (resets in {}), {} per 5 s",
            limit.remaining,
            limit.total,
            humanise_ms(limit.reset_after),
            limit.max_concurrency.max(1)
        );
    }
    if limit.remaining < worst && !args.yes || limit.remaining == 0 {
        return Err(CliError::new(
            Exit::Refused,
            format!(
                "not probing: the session budget is too small ({} remaining, up to {worst} needed for {n} intents)",
                limit.remaining
            ),
        )
        .hint(if limit.remaining == 0 {
            format!("wait for the budget to reset (in {})", humanise_ms(limit.reset_after))
        } else {
            format!(
                "probe fewer intents (--intents …), wait for the reset (in {}), or pass --yes to use at most the {} remaining",
                humanise_ms(limit.reset_after),
                limit.remaining
            )
        }));
    }
    if let Some(true) = public {
        let private: Vec<&str> = requested
            .infos()
            .filter(|i| i.access == Access::PrivateOnly)
            .map(|i| i.name)
            .collect();
        if !private.is_empty() && !quiet {
            eprintln!(
                "qqbot: note: {} need a private-domain bot; this profile says the bot is public",
                private.join(", ")
            );
        }
    }
    let max_trials = worst.min(limit.remaining);
    let queue = BucketQueue::new(limit.max_concurrency.max(1));
    let url = gateway.url.clone();
    let token = conn.token.clone();
    let mut trial_no = 0u32;
    let result = probe::bisect(requested, &queue, max_trials, |set: Intents| {
        trial_no += 1;
        let n = trial_no;
        let url = url.clone();
        let token = token.clone();
        async move {
            let access = token.token().await.map_err(ProbeFailure::Token)?;
            let outcome = trial_identify(&url, &access, set, TRIAL_TIMEOUT)
                .await
                .map_err(ProbeFailure::Probe)?;
            let verdict = outcome.verdict();
            if !quiet {
                eprintln!("qqbot: trial {n}: {} → {}", set.names(), describe(&outcome));
            }
            match verdict {
                Verdict::Inconclusive => Err(ProbeFailure::Inconclusive(outcome)),
                v => Ok(v),
            }
        }
    })
    .await;
    let report = match result {
        Ok(report) => report,
        Err(stop) => return Err(inconclusive(stop.error, stop.tried)),
    };
    print_report(global, requested, &report, worst, limit.remaining)?;
    Ok(if report.granted == requested {
        Exit::Ok
    } else {
        Exit::Refused
    })
}

fn describe(outcome: &TrialOutcome) -> String {
    match outcome {
        TrialOutcome::Ready { .. } => "READY (granted)".to_owned(),
        TrialOutcome::InvalidSession { code, reason } => format!(
            "op 9 then {} (denied)",
            match code {
                Some(c) => format!("close {c} {reason}").trim_end().to_owned(),
                None => "no close frame".to_owned(),
            }
        ),
        TrialOutcome::Closed { code, reason } => match code {
            Some(c) => format!("close {c} {reason}").trim_end().to_owned(),
            None => "connection dropped".to_owned(),
        },
    }
}

/// Why a trial stopped the search.
#[derive(Debug)]
enum ProbeFailure {
    Token(qqbot::http::TokenError),
    Probe(probe::ProbeError),
    Inconclusive(TrialOutcome),
}

fn inconclusive(error: Result<Verdict, ProbeFailure>, tried: Intents) -> CliError {
    let what = format!("the intents probe stopped while trying {}", tried.names());
    match error {
        Ok(_) => CliError::failure(what),
        Err(ProbeFailure::Token(e)) => {
            let exit = if e.is_auth() {
                Exit::Auth
            } else {
                Exit::Failure
            };
            let hint = match &e {
                qqbot::http::TokenError::Rejected { hint: Some(h), .. } => (*h).to_owned(),
                _ => "check QQBOT_APP_ID / QQBOT_SECRET and the token URL".to_owned(),
            };
            CliError::new(exit, what).caused_by(&e).hint(hint)
        }
        Err(ProbeFailure::Probe(e)) => CliError::failure(what)
            .caused_by(&e)
            .hint("check the network path to the gateway URL from /gateway/bot"),
        Err(ProbeFailure::Inconclusive(outcome)) => {
            let code = outcome.close_code();
            let mut err = CliError::new(Exit::Refused, what);
            err.causes.push(format!(
                "the gateway answered {}: not an intents refusal",
                describe(&outcome)
            ));
            if let Some(code) = code {
                let info = close_info(code);
                err.causes.push(format!("{code}: {}", info.meaning));
                if code == 4004 {
                    err.exit = Exit::Auth;
                }
                if let Some(h) = info.hint {
                    err = err.hint(h);
                }
            }
            err
        }
    }
}

fn print_report(
    global: &GlobalArgs,
    requested: Intents,
    report: &BisectReport,
    worst: u32,
    remaining_before: u32,
) -> std::io::Result<()> {
    if global.json {
        outln!(
            "{}",
            json!({
                "requested": names(requested), "requested_value": requested.bits(),
                "granted": names(report.granted), "denied": names(report.denied),
                "unknown": names(report.unknown),
                "granted_value": report.granted.bits(), "intents": flag_value(report.granted),
                "identify_attempts": report.attempts(), "worst_case": worst,
                "session_start_remaining_before": remaining_before,
                "trials": report.trials.iter().map(|(set, v)| json!({
                    "intents": set.bits(), "verdict": match v {
                        Verdict::Granted => "granted", Verdict::Denied => "denied",
                        Verdict::Inconclusive => "inconclusive",
                    }
                })).collect::<Vec<_>>(),
            })
        )?;
        return Ok(());
    }
    for info in INTENTS.iter().filter(|i| requested.0 & i.value() != 0) {
        let state = if report.granted.0 & info.value() != 0 {
            "✓ granted"
        } else if report.denied.0 & info.value() != 0 {
            "✗ denied "
        } else {
            "? unknown"
        };
        let extra = if report.denied.0 & info.value() != 0 {
            match info.access {
                Access::PrivateOnly => " (private-domain bots only)",
                Access::NeedsApplication => " (apply for it in the QQ console)",
                Access::Default => "",
            }
        } else {
            ""
        };
        outln!("{state}  {:<29} 1<<{}{extra}", info.name, info.bit)?;
    }
    outln!(
        "{} identify attempt(s) (worst case {worst})",
        report.attempts()
    )?;
    outln!("use: --intents {}", flag_value(report.granted))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_findings_flag_private_bits_on_public_bots() {
        let f = static_findings(Intents::parse("guild_messages,guilds").unwrap(), Some(true));
        assert!(
            f.iter()
                .any(|f| f.problem && f.key == "private_only_on_public_bot")
        );
        let f = static_findings(Intents::parse("guild_messages").unwrap(), Some(false));
        assert!(f.iter().all(|f| !f.problem));
        let f = static_findings(
            Intents::parse("guild_messages,public_guild_messages").unwrap(),
            Some(false),
        );
        assert!(f.iter().any(|f| f.key == "overlap_guild_messages"));
        let f = static_findings(Intents(1 << 40), None);
        assert!(f.iter().any(|f| f.problem && f.key == "unknown_bits"));
    }

    #[test]
    fn flag_values_parse_back() {
        let i = Intents::parse("guilds,group_and_c2c_event").unwrap();
        assert_eq!(Intents::parse(&flag_value(i)).unwrap(), i);
    }
}
