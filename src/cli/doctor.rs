//! `qqbot doctor`: check the setup step by step (credentials, token, `/gateway/bot`,
//! `/users/@me`, a gateway handshake) and turn each failure into a diagnosis and an action.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::{Value, json};

use qqbot::config::Settings;
use qqbot::gateway::probe::{TrialOutcome, Verdict, trial_identify};
use qqbot::gateway::queue::{IDENTIFY_MARGIN, IDENTIFY_WINDOW};
use qqbot::http::api::StaticToken;
use qqbot::http::{Api, ApiError, ApiErrorKind};
use qqbot::protocol::Intents;
use qqbot::protocol::api_errors::api_error_info;
use qqbot::protocol::close::close_info;

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};
use super::listen::settings;

/// Clock skew above this is reported (token lifetimes and signatures assume a correct clock).
const MAX_SKEW: Duration = Duration::from_secs(60);
/// Bound on each network step.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Arguments of `qqbot doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Credentials and endpoints.
    #[command(flatten)]
    pub conn: super::ConnArgs,
    /// Intents for the handshake (default: the profile's intents, else `default`).
    #[arg(long, short = 'i', value_name = "INTENTS")]
    pub intents: Option<String>,
    /// Skip the gateway handshake (spends no session start).
    #[arg(long)]
    pub no_gateway: bool,
    /// Check against an embedded emulator instead (no credentials needed): what a passing
    /// setup looks like.
    #[arg(long, conflicts_with_all = ["app_id", "secret_file", "sandbox", "api_base", "token_url"])]
    pub emulator: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Status::Pass => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
            Status::Skip => "-",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// One check's result.
struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    action: Option<String>,
    /// The exit class of a failure.
    exit: Exit,
    data: Value,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Pass,
            detail: detail.into(),
            action: None,
            exit: Exit::Ok,
            data: Value::Null,
        }
    }

    fn fail(name: &'static str, exit: Exit, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            action: None,
            exit,
            data: Value::Null,
        }
    }

    fn skip(name: &'static str) -> Check {
        Check {
            name,
            status: Status::Skip,
            detail: "skipped (an earlier check failed)".to_owned(),
            action: None,
            exit: Exit::Ok,
            data: Value::Null,
        }
    }

    fn action(mut self, action: impl Into<String>) -> Check {
        self.action = Some(action.into());
        self
    }

    fn data(mut self, data: Value) -> Check {
        self.data = data;
        self
    }
}

struct Report {
    checks: Vec<Check>,
    human: bool,
    quiet: bool,
    /// A write to stdout failed (a closed pipe): stop printing, report it at the end.
    write_error: Option<std::io::Error>,
    /// Where the credentials came from, added to the action of a failure they caused.
    origin: String,
}

impl Report {
    fn push(&mut self, mut check: Check) {
        if check.status == Status::Fail && (check.exit == Exit::Auth || check.name == "credentials")
        {
            let origin = format!("credentials used: {}", self.origin);
            check.action = Some(match check.action.take() {
                Some(a) => format!("{a}; {origin}"),
                None => origin,
            });
        }
        if self.human
            && self.write_error.is_none()
            && !(self.quiet && check.status == Status::Pass)
            && let Err(err) = Self::print(&check)
        {
            self.write_error = Some(err);
        }
        self.checks.push(check);
    }

    fn print(check: &Check) -> std::io::Result<()> {
        outln!(
            "{} {:<12} {}",
            check.status.mark(),
            check.name,
            check.detail
        )?;
        if let Some(action) = &check.action {
            outln!("  {:<12} → {action}", "")?;
        }
        Ok(())
    }

    fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }

    fn skip_rest(&mut self, names: &[&'static str]) {
        for name in names {
            self.push(Check::skip(name));
        }
    }
}

const STEPS: [&str; 5] = [
    "credentials",
    "token",
    "gateway/bot",
    "users/@me",
    "handshake",
];

/// Run `qqbot doctor`.
pub async fn run(global: &GlobalArgs, args: DoctorArgs) -> CliResult {
    let mut settings = settings(global)?;
    let _emulator = if args.emulator {
        Some(super::listen::embedded_emulator(&mut settings).await?)
    } else {
        None
    };
    let intents = match args
        .intents
        .clone()
        .or_else(|| settings.intents.as_ref().map(|i| i.value.clone()))
    {
        Some(spec) => Intents::parse(&spec).map_err(|e| {
            CliError::usage(format!("--intents: {e}"))
                .hint("`qqbot intents list` shows every name and alias")
        })?,
        None => Intents::default_granted(),
    };
    let mut report = Report {
        checks: Vec::new(),
        human: !global.json,
        quiet: global.quiet,
        write_error: None,
        origin: super::listen::credential_origin(&settings),
    };
    diagnose(&settings, &args, intents, &mut report).await;
    if let Some(err) = report.write_error.take() {
        return Err(err.into());
    }

    let exit = if !report.failed() {
        Exit::Ok
    } else if report.checks.iter().any(|c| c.exit == Exit::Usage) {
        // Missing credentials are a usage error (2), as in every other command.
        Exit::Usage
    } else if report.checks.iter().any(|c| c.exit == Exit::Auth) {
        Exit::Auth
    } else if report.checks.iter().any(|c| c.exit == Exit::Refused) {
        Exit::Refused
    } else {
        Exit::Failure
    };
    if global.json {
        let checks: Vec<Value> = report
            .checks
            .iter()
            .map(|c| {
                json!({
                    "check": c.name, "status": c.status.key(), "detail": c.detail,
                    "action": c.action, "data": c.data,
                })
            })
            .collect();
        outln!(
            "{}",
            json!({
                "ok": exit == Exit::Ok, "exit": exit as u8, "profile": settings.profile.value,
                "environment": settings.environment(),
                "api_base": settings.api_base.value, "checks": checks,
            })
        )?;
    } else if !global.quiet {
        let failed = report
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .count();
        if failed == 0 {
            eprintln!("qqbot: all checks passed");
        } else {
            eprintln!("qqbot: {failed} check(s) failed");
        }
    }
    Ok(exit)
}

async fn diagnose(settings: &Settings, args: &DoctorArgs, intents: Intents, report: &mut Report) {
    let env_label = format!(
        "{} ({})",
        match settings.environment() {
            "emulator" => "embedded emulator",
            other => other,
        },
        settings.api_base.value
    );

    // 1. Credentials.
    let (app_id, secret) = match (&settings.app_id, &settings.secret) {
        (Some(app_id), Some(_)) if super::listen::check_app_id(&app_id.value).is_err() => {
            report.push(
                Check::fail(
                    "credentials",
                    Exit::Usage,
                    format!(
                        "the app id `{}` ({}) is not a number; the token endpoint would refuse it (100007)",
                        app_id.value, app_id.source
                    ),
                )
                .action("set QQBOT_APP_ID to the AppID number on q.qq.com → 开发设置"),
            );
            report.skip_rest(&STEPS[1..]);
            return;
        }
        (Some(app_id), Some(secret)) => {
            report.push(
                Check::pass(
                    "credentials",
                    format!(
                        "app id {} ({}), secret set ({}); profile `{}`, {env_label}",
                        app_id.value, app_id.source, secret.source, settings.profile.value
                    ),
                )
                .data(
                    json!({"app_id": app_id.value, "app_id_source": app_id.source.to_string(),
                             "secret_source": secret.source.to_string()}),
                ),
            );
            (app_id.value.clone(), secret.value.clone())
        }
        (app_id, _) => {
            let missing = match app_id {
                None if settings.secret.is_none() => "no app id and no secret",
                None => "no app id",
                Some(_) => "no secret",
            };
            report.push(
                Check::fail("credentials", Exit::Usage, format!("{missing} (profile `{}`)", settings.profile.value))
                    .action("set QQBOT_APP_ID and QQBOT_SECRET, pass --secret-file, or run `qqbot config init`"),
            );
            report.skip_rest(&STEPS[1..]);
            return;
        }
    };

    // 2. Token.
    let http = match reqwest::Client::builder()
        .timeout(STEP_TIMEOUT)
        .user_agent(concat!("qqbot/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(http) => http,
        Err(e) => {
            report.push(Check::fail(
                "token",
                Exit::Failure,
                format!("cannot build an HTTP client: {e}"),
            ));
            report.skip_rest(&STEPS[2..]);
            return;
        }
    };
    let token = match fetch_token(&http, &settings.token_url.value, &app_id, secret.expose()).await
    {
        Ok((token, expires_in, skew)) => {
            report.push(
                Check::pass(
                    "token",
                    format!(
                        "access token issued by {} (expires in {expires_in} s)",
                        settings.token_url.value
                    ),
                )
                .data(json!({"expires_in": expires_in})),
            );
            if let Some(skew) = skew.filter(|s| s.unsigned_abs() > MAX_SKEW.as_secs()) {
                report.push(
                    Check {
                        status: Status::Warn,
                        ..Check::pass(
                            "clock",
                            format!(
                                "local clock is {} s {} the token server's",
                                skew.unsigned_abs(),
                                if skew > 0 { "ahead of" } else { "behind" }
                            ),
                        )
                    }
                    .action("sync the clock (NTP): token lifetimes and webhook signatures assume the right time"),
                );
            }
            token
        }
        Err(check) => {
            report.push(check);
            report.skip_rest(&STEPS[2..]);
            return;
        }
    };
    let api = Api::with_http_client(
        http,
        settings.api_base.value.clone(),
        app_id.clone(),
        StaticToken::new(token.clone()),
    );

    // 3. /gateway/bot.
    let gateway = match api.gateway_bot().await {
        Ok(gw) => {
            let limit = gw.session_start_limit;
            let mut check = Check::pass(
                "gateway/bot",
                format!(
                    "{} shard(s) recommended; session starts {} of {} left (resets in {} min), {} per 5 s; gateway {}",
                    gw.shards,
                    limit.remaining,
                    limit.total,
                    limit.reset_after / 60_000,
                    limit.max_concurrency,
                    gw.url
                ),
            )
            .data(json!({"url": gw.url, "shards": gw.shards, "session_start_limit": {
                "total": limit.total, "remaining": limit.remaining,
                "reset_after": limit.reset_after, "max_concurrency": limit.max_concurrency}}));
            if limit.remaining == 0 {
                check.status = Status::Fail;
                check.exit = Exit::Refused;
                check.detail = format!(
                    "no session starts left today ({} total; resets in {} min)",
                    limit.total,
                    limit.reset_after / 60_000
                );
                check =
                    check.action("wait for the reset; every connect without a resume spends one");
            }
            report.push(check);
            Some(gw)
        }
        Err(e) => {
            report.push(api_check("gateway/bot", &e, settings));
            report.skip_rest(&STEPS[3..]);
            return;
        }
    };

    // 4. /users/@me.
    match api.me().await {
        Ok(me) => report.push(
            Check::pass("users/@me", format!("bot `{}` (id {})", me.username, me.id))
                .data(json!({"id": me.id, "username": me.username})),
        ),
        Err(e) => report.push(api_check("users/@me", &e, settings)),
    }

    // 5. A short gateway handshake.
    let Some(gateway) = gateway else { return };
    if args.no_gateway {
        report.push(Check {
            detail: "skipped (--no-gateway)".to_owned(),
            ..Check::skip("handshake")
        });
        return;
    }
    if gateway.session_start_limit.remaining == 0 {
        report.push(Check {
            detail: "skipped (no session starts left)".to_owned(),
            ..Check::skip("handshake")
        });
        return;
    }
    let mut outcome = trial_identify(&gateway.url, &token, intents, STEP_TIMEOUT).await;
    let mut waited = false;
    if outcome.as_ref().is_ok_and(|o| o.close_code() == Some(4008)) {
        // Another Identify for this bot (a `listen` that just started, an earlier `doctor`)
        // came within the identify window: wait it out once instead of failing.
        let wait = IDENTIFY_WINDOW + IDENTIFY_MARGIN;
        if !report.quiet {
            eprintln!(
                "qqbot: the handshake was closed with 4008 (rate limit): another Identify for this bot came within the last {} s; waiting {:.1} s for the identify window, then trying once more",
                IDENTIFY_WINDOW.as_secs(),
                wait.as_secs_f64()
            );
        }
        tokio::time::sleep(wait).await;
        waited = true;
        outcome = trial_identify(&gateway.url, &token, intents, STEP_TIMEOUT).await;
    }
    let left = gateway.session_start_limit.remaining.saturating_sub(1);
    let check = match outcome {
        Ok(TrialOutcome::Ready {
            session_id, user, ..
        }) => Check::pass(
            "handshake",
            format!(
                "Hello, Identify (intents {}), READY as `{}`, closed cleanly; spent 1 session start ({left} left){}",
                intents.names(),
                user.username,
                if waited {
                    "; waited out the identify window after a 4008 first"
                } else {
                    ""
                }
            ),
        )
        .data(json!({"session_id": session_id, "intents": intents.bits(), "remaining": left})),
        Ok(outcome) => handshake_failure(&outcome, intents, settings),
        Err(e) => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            Check::fail("handshake", Exit::Failure, text)
                .action("check that the gateway URL from /gateway/bot is reachable (proxies, firewalls)")
        }
    };
    report.push(check);
}

fn handshake_failure(outcome: &TrialOutcome, intents: Intents, settings: &Settings) -> Check {
    let code = outcome.close_code();
    let (detail, action, exit) = match (code, outcome.verdict()) {
        (Some(4914), _) => (
            "close 4914: the bot is offline (下架) or not yet published: only the sandbox is allowed".to_owned(),
            if settings.sandbox.value {
                "check the bot's status in the QQ console".to_owned()
            } else {
                "connect to the sandbox (--sandbox, or `qqbot config set sandbox true`) until the bot is published".to_owned()
            },
            Exit::Refused,
        ),
        (Some(4915), _) => (
            "close 4915: the bot is banned".to_owned(),
            "see the QQ console for the reason; retrying cannot help".to_owned(),
            Exit::Refused,
        ),
        (Some(4004), _) => (
            "close 4004: the gateway refused the access token".to_owned(),
            "check the app id and secret; make sure the token is sent as `QQBot <token>`".to_owned(),
            Exit::Auth,
        ),
        (_, Verdict::Denied) => (
            format!(
                "{}: intents {} are not all granted",
                match outcome {
                    TrialOutcome::InvalidSession { code: Some(c), .. } => format!("op 9, then close {c}"),
                    TrialOutcome::InvalidSession { code: None, .. } => "op 9 (Invalid Session)".to_owned(),
                    _ => format!("close {}", code.unwrap_or(0)),
                },
                intents.names()
            ),
            "run `qqbot intents check --live` to find the granted set, or apply for the intents in the QQ console (GUILD_MESSAGES and FORUMS_EVENT need a private-domain bot)".to_owned(),
            Exit::Refused,
        ),
        (Some(c), _) => {
            let info = close_info(c);
            (
                format!("close {c} before READY: {}", info.meaning),
                info.hint
                    .unwrap_or("see `qqbot explain` for the close code")
                    .to_owned(),
                Exit::Refused,
            )
        }
        (None, _) => (
            "the connection dropped before READY".to_owned(),
            "check proxies and firewalls on the path to the gateway".to_owned(),
            Exit::Failure,
        ),
    };
    Check::fail("handshake", exit, detail)
        .action(action)
        .data(json!({"close_code": code}))
}

/// A failed OpenAPI check with the error-code table's meaning and advice.
fn api_check(name: &'static str, err: &ApiError, settings: &Settings) -> Check {
    let code = err.code().or(err.err_code());
    let trace = err
        .trace_id()
        .map(|t| format!(" [trace {t}]"))
        .unwrap_or_default();
    let is_whitelist = code == Some(11298) || err.err_code() == Some(11298);
    if is_whitelist {
        let action = if settings.sandbox.value {
            "add this machine's egress IP in the QQ console (开发设置 → IP白名单)".to_owned()
        } else {
            "add this machine's egress IP in the QQ console (开发设置 → IP白名单); behind NAT or a changing IP, use a fixed egress (a server, a proxy) or develop in the sandbox (--sandbox), where the whitelist is not enforced".to_owned()
        };
        return Check::fail(
            name,
            Exit::Auth,
            format!("source IP not on the IP whitelist (11298){trace}"),
        )
        .action(action)
        .data(json!({"code": 11298, "trace_id": err.trace_id()}));
    }
    let exit = match err.kind() {
        ApiErrorKind::Unauthorized => Exit::Auth,
        _ => Exit::Failure,
    };
    let detail = match (err.info(), code) {
        (Some(info), Some(code)) => format!("{} ({code}){trace}", info.meaning),
        _ => format!("{err}"),
    };
    let action = err
        .hint()
        .map(str::to_owned)
        .unwrap_or_else(|| match err.kind() {
            ApiErrorKind::Transport => {
                "check the network path to the API base (--api-base)".to_owned()
            }
            _ => "see `qqbot explain CODE`".to_owned(),
        });
    Check::fail(name, exit, detail)
        .action(action)
        .data(json!({"status": err.status(), "code": code, "trace_id": err.trace_id()}))
}

/// Fetch an access token directly, to read the platform's error codes and its `Date` header.
/// Returns the token, its lifetime and the clock skew (local minus server, seconds) when known.
async fn fetch_token(
    http: &reqwest::Client,
    url: &str,
    app_id: &str,
    secret: &str,
) -> Result<(qqbot::Secret, u64, Option<i64>), Check> {
    let response = http
        .post(url)
        .json(&json!({"appId": app_id, "clientSecret": secret}))
        .send()
        .await
        .map_err(|e| {
            let e = e.without_url();
            let mut text = format!("cannot reach the token endpoint {url}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            Check::fail("token", Exit::Failure, text)
                .action("check DNS, proxies (HTTPS_PROXY) and firewalls; the token endpoint is bots.qq.com (--token-url overrides)")
        })?;
    let status = response.status().as_u16();
    let skew = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|server| Utc::now().signed_duration_since(server).num_seconds());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let code = body.get("code").and_then(|c| {
        c.as_i64()
            .or_else(|| c.as_str().and_then(|s| s.trim().parse().ok()))
    });
    if let Some(code) = code.filter(|c| *c != 0) {
        let info = u64::try_from(code).ok().and_then(api_error_info);
        let message = body.get("message").and_then(Value::as_str).unwrap_or("");
        let (detail, action) = match (code, info) {
            (100016, _) => (
                "the token endpoint refused the secret: invalid app secret (100016)".to_owned(),
                "check QQBOT_SECRET (the AppSecret in the QQ console, 开发设置); regenerating it there invalidates the old one".to_owned(),
            ),
            (100007, _) => (
                "the token endpoint refused the app id (100007: appid invalid)".to_owned(),
                "check QQBOT_APP_ID (the AppID in the QQ console); a banned or deleted bot also gets 100007".to_owned(),
            ),
            (_, Some(info)) => (format!("{} ({code})", info.meaning), info.hint.to_owned()),
            (_, None) => (
                format!("token request rejected: {message} ({code})"),
                "see `qqbot explain CODE`".to_owned(),
            ),
        };
        return Err(Check::fail("token", Exit::Auth, detail)
            .action(action)
            .data(json!({"code": code})));
    }
    if !(200..300).contains(&status) {
        return Err(Check::fail(
            "token",
            if status == 401 || status == 403 {
                Exit::Auth
            } else {
                Exit::Failure
            },
            format!("the token endpoint answered HTTP {status}"),
        )
        .action(format!(
            "check --token-url; the platform's endpoint is {}",
            qqbot::endpoints::TOKEN_URL
        )));
    }
    let token = body.get("access_token").and_then(Value::as_str);
    let expires_in = body.get("expires_in").and_then(|e| {
        e.as_u64()
            .or_else(|| e.as_str().and_then(|s| s.trim().parse().ok()))
    });
    match (token, expires_in) {
        (Some(token), Some(expires_in)) if !token.is_empty() => {
            Ok((qqbot::Secret::new(token), expires_in, skew))
        }
        _ => Err(Check::fail(
            "token",
            Exit::Failure,
            "the token endpoint answered without access_token / expires_in",
        )
        .action("check --token-url points at the token endpoint")),
    }
}
