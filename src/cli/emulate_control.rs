//! `qqbot emulate dispatch|fault|state`: drive a running emulator's control API
//! (`/_emulator/dispatch`, `/_emulator/fault`, `/_emulator/state`).

use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use qqbot::emulator::generate::{Generator, beijing};

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};

/// The emulator's address when `--emulator-url` is not given.
const DEFAULT_URL: &str = "http://127.0.0.1:8080";
/// The fault kinds the control API knows.
const FAULT_KINDS: &[&str] = qqbot::emulator::Fault::KINDS;

/// Where the running emulator is.
#[derive(Debug, Args)]
pub struct Target {
    /// Base URL of the running emulator (`qqbot emulate`, `listen --emulator`, `tui --emulator`).
    #[arg(long, default_value = DEFAULT_URL, value_name = "URL")]
    pub emulator_url: String,
}

/// A control command for a running emulator.
#[derive(Debug, Subcommand)]
pub enum Control {
    /// Deliver an event to the emulator's sessions (a realistic payload, with overrides).
    Dispatch(DispatchArgs),
    /// Inject a fault into live sessions.
    Fault(FaultArgs),
    /// Show the sessions and the messages the bot sent (`--json`: the raw state).
    State(StateArgs),
}

/// Arguments of `qqbot emulate dispatch`.
#[derive(Debug, Args)]
pub struct DispatchArgs {
    /// Event type, e.g. GROUP_AT_MESSAGE_CREATE.
    #[arg(value_name = "EVENT_TYPE")]
    pub event_type: String,
    /// Message content.
    #[arg(long, value_name = "TEXT")]
    pub content: Option<String>,
    /// group_openid.
    #[arg(long, value_name = "OPENID")]
    pub group: Option<String>,
    /// The author's id / member_openid / user_openid.
    #[arg(long, value_name = "OPENID")]
    pub user: Option<String>,
    /// guild_id.
    #[arg(long, value_name = "ID")]
    pub guild: Option<String>,
    /// channel_id.
    #[arg(long, value_name = "ID")]
    pub channel: Option<String>,
    /// The event's `d`, verbatim (JSON object); the other overrides still apply.
    #[arg(long, value_name = "JSON")]
    pub data: Option<String>,
    /// Deliver to this session only.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

/// Arguments of `qqbot emulate fault`.
#[derive(Debug, Args)]
pub struct FaultArgs {
    /// reconnect, session_timeout, invalid_session, close, stop_acks, resume_acks, drop or
    /// revoke_secret (the app secret is reset: tokens invalid, connections close 4004).
    #[arg(value_name = "KIND")]
    pub kind: String,
    /// Close code (`close`).
    #[arg(long, value_name = "N")]
    pub code: Option<u16>,
    /// Close reason (`close`).
    #[arg(long, value_name = "R")]
    pub reason: Option<String>,
    /// Only this session.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

/// Arguments of `qqbot emulate state`.
#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(global: &GlobalArgs, control: Control) -> CliResult {
    match control {
        Control::Dispatch(args) => dispatch(global, args).await,
        Control::Fault(args) => fault(global, args).await,
        Control::State(args) => state(global, args).await,
    }
}

/// Build the `d` of an event: the generator's payload (or `--data`) with the overrides applied.
pub fn build_d(args: &DispatchArgs) -> Result<Value, CliError> {
    let mut d = match &args.data {
        Some(raw) => {
            let d: Value = serde_json::from_str(raw).map_err(|e| {
                CliError::usage(format!("--data is not JSON: {e}"))
                    .hint("give the event's d as a JSON object, e.g. --data '{\"content\":\"hi\"}'")
            })?;
            if !d.is_object() {
                return Err(CliError::usage("--data must be a JSON object"));
            }
            d
        }
        None => {
            let now = chrono::Utc::now().with_timezone(&beijing());
            let seed = rand::random::<u64>();
            Generator::new(seed, qqbot::emulator::DEFAULT_APP_ID)
                .event(&args.event_type, now)
                .map(|e| e.d)
                .unwrap_or_else(|| json!({}))
        }
    };
    let obj = d.as_object_mut().expect("d is an object");
    if let Some(content) = &args.content {
        obj.insert("content".into(), json!(content));
    }
    if let Some(group) = &args.group {
        obj.insert("group_openid".into(), json!(group));
        obj.insert("group_id".into(), json!(group));
    }
    if let Some(guild) = &args.guild {
        obj.insert("guild_id".into(), json!(guild));
    }
    if let Some(channel) = &args.channel {
        obj.insert("channel_id".into(), json!(channel));
    }
    if let Some(user) = &args.user {
        let author = obj.entry("author").or_insert_with(|| json!({}));
        if let Some(author) = author.as_object_mut() {
            for key in ["id", "member_openid", "user_openid", "union_openid"] {
                if key == "id" || author.contains_key(key) {
                    author.insert(key.into(), json!(user));
                }
            }
        }
        for key in ["openid", "user_openid", "group_member_openid"] {
            if obj.contains_key(key) {
                obj.insert(key.into(), json!(user));
            }
        }
    }
    Ok(d)
}

async fn dispatch(global: &GlobalArgs, args: DispatchArgs) -> CliResult {
    let d = build_d(&args)?;
    let mut body = json!({"t": args.event_type, "d": d});
    if let Some(session) = &args.session {
        body["session"] = json!(session);
    }
    let answer = call(&args.target, "dispatch", Some(&body)).await?;
    let n = answer["delivered"].as_u64().unwrap_or(0);
    if global.json {
        println!("{answer}");
    } else if !global.quiet {
        println!("{} delivered to {n} session(s)", args.event_type);
    }
    Ok(Exit::Ok)
}

async fn fault(global: &GlobalArgs, args: FaultArgs) -> CliResult {
    if !FAULT_KINDS.contains(&args.kind.as_str()) {
        return Err(
            CliError::failure(format!("unknown fault kind `{}`", args.kind))
                .hint(format!("kinds: {}", FAULT_KINDS.join(", "))),
        );
    }
    let mut body = json!({"kind": args.kind});
    if let Some(code) = args.code {
        body["code"] = json!(code);
    }
    if let Some(reason) = &args.reason {
        body["reason"] = json!(reason);
    }
    if let Some(session) = &args.session {
        body["session"] = json!(session);
    }
    let answer = call(&args.target, "fault", Some(&body)).await?;
    let n = answer["affected"].as_u64().unwrap_or(0);
    if global.json {
        println!("{answer}");
    } else if !global.quiet {
        println!("{} delivered to {n} session(s)", args.kind);
    }
    Ok(Exit::Ok)
}

async fn state(global: &GlobalArgs, args: StateArgs) -> CliResult {
    let state = call(&args.target, "state", None).await?;
    if global.json {
        println!("{state}");
        return Ok(Exit::Ok);
    }
    let empty = Vec::new();
    let sessions = state["sessions"].as_array().unwrap_or(&empty);
    println!(
        "{:<36}  {:<7}  {:>10}  {:>6}  {:<9}  {:>7}",
        "SESSION", "SHARD", "INTENTS", "SEQ", "CONNECTED", "RESUMES"
    );
    for s in sessions {
        let shard = format!("{}/{}", s["shard"][0], s["shard"][1]);
        println!(
            "{:<36}  {:<7}  {:>10}  {:>6}  {:<9}  {:>7}",
            s["id"].as_str().unwrap_or("?"),
            shard,
            s["intents"],
            s["seq"],
            if s["connected"].as_bool() == Some(true) {
                "yes"
            } else {
                "no"
            },
            s["resumes"],
        );
    }
    let messages = state["messages"].as_array().unwrap_or(&empty);
    println!("\n{} message(s) sent by the bot", messages.len());
    for m in messages {
        println!("{}", message_line(m));
    }
    Ok(Exit::Ok)
}

/// One line of the `state` listing: route, target, status, then the content (for a recall, the
/// id of the message it withdraws); a send that was recalled later ends with `[recalled]`.
fn message_line(m: &Value) -> String {
    let route = m["route"].as_str().unwrap_or("?");
    let what = if route.ends_with("_recall") {
        m["msg_id"].as_str()
    } else {
        m["content"].as_str()
    };
    let mut line = format!(
        "  {route} {} {} {}",
        m["target"].as_str().unwrap_or("?"),
        m["status"],
        what.unwrap_or("")
    );
    if m["recalled"].as_bool() == Some(true) {
        line.push_str(" [recalled]");
    }
    line
}

/// Call `/_emulator/<route>` (POST with a body, else GET) and return the JSON answer.
async fn call(target: &Target, route: &str, body: Option<&Value>) -> Result<Value, CliError> {
    let base = target.emulator_url.trim_end_matches('/');
    let url = format!("{base}/_emulator/{route}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| CliError::failure("cannot build an HTTP client").caused_by(&e))?;
    let request = match body {
        Some(body) => client.post(&url).json(body),
        None => client.get(&url),
    };
    let unreachable = |e: &reqwest::Error| {
        CliError::failure(format!("cannot reach the emulator at {base}"))
            .caused_by(e)
            .hint("start one with `qqbot emulate` or give its address with --emulator-url URL")
    };
    let response = request.send().await.map_err(|e| unreachable(&e))?;
    let status = response.status();
    let answer: Value = response.json().await.map_err(|_| {
        CliError::failure(format!(
            "{url} did not answer like a qqbot emulator (HTTP {status})"
        ))
        .hint("check --emulator-url")
    })?;
    if !status.is_success() {
        let message = answer["message"].as_str().unwrap_or("refused");
        return Err(
            CliError::failure(format!("the emulator refused: {message}"))
                .hint("see README: the emulator's control API"),
        );
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::message_line;
    use serde_json::json;

    #[test]
    fn state_lines_mark_recalled_sends_and_name_what_a_recall_withdrew() {
        let sent = json!({"route": "group", "target": "G1", "status": 200, "content": "hi",
            "msg_id": "IN1", "id": "OUT1", "recalled": true});
        assert_eq!(message_line(&sent), "  group G1 200 hi [recalled]");
        let kept = json!({"route": "group", "target": "G1", "status": 200, "content": "hi",
            "recalled": false});
        assert_eq!(message_line(&kept), "  group G1 200 hi");
        let recall = json!({"route": "group_recall", "target": "G1", "status": 400,
            "msg_id": "OUT1", "content": null, "recalled": false});
        assert_eq!(message_line(&recall), "  group_recall G1 400 OUT1");
    }
}
