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
    /// Then wait up to this long (e.g. 5s) for the bot's reply to the event and print it: exit 0
    /// when the emulator accepted it, 1 when it refused it or none came.
    #[arg(long, value_name = "DURATION", value_parser = super::listen::parse_positive_duration)]
    pub wait_reply: Option<Duration>,
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
/// `world_seed` is the running emulator's seed: the payload then names its guilds, channels,
/// users and groups (so `GET /guilds/{id}` and the like resolve), with ids of its own.
pub fn build_d(args: &DispatchArgs, world_seed: Option<u64>) -> Result<Value, CliError> {
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
            let events = rand::random::<u64>();
            let app_id = qqbot::emulator::DEFAULT_APP_ID;
            match world_seed {
                Some(seed) => Generator::for_world(seed, events, app_id),
                None => Generator::new(events, app_id),
            }
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
    // The emulator's world (for a payload about its guilds and users) and what the bot has
    // sent so far (a reply is a later send that refers to this event).
    if args.data.is_some() {
        build_d(&args, None)?; // a bad --data is a usage error before anything is asked
    }
    let state = call(&args.target, "state", None).await?;
    let d = build_d(&args, state["seed"].as_u64())?;
    let before = sends(&state).len();
    let message_id = d.get("id").and_then(Value::as_str).map(str::to_owned);
    let mut body = json!({"t": args.event_type, "d": &d});
    if let Some(session) = &args.session {
        body["session"] = json!(session);
    }
    let answer = call(&args.target, "dispatch", Some(&body)).await?;
    let n = answer["delivered"].as_u64().unwrap_or(0);
    if global.json {
        // What was delivered too: the ids a script replies to (`qqbot send --reply-to`).
        println!("{}", json!({"delivered": n, "t": args.event_type, "d": d}));
    } else if !global.quiet {
        match &message_id {
            Some(id) => println!("{} {id} delivered to {n} session(s)", args.event_type),
            None => println!("{} delivered to {n} session(s)", args.event_type),
        }
    }
    let Some(wait) = args.wait_reply else {
        return Ok(Exit::Ok);
    };
    if n == 0 {
        return Err(CliError::failure(format!(
            "no session took the {}, so no reply can come",
            args.event_type
        ))
        .hint(
            "is the bot connected, with intents that cover this event? (`qqbot emulate state`)",
        ));
    }
    let started = tokio::time::Instant::now();
    let deadline = started + wait;
    let reply = loop {
        let state = call(&args.target, "state", None).await?;
        let replies: Vec<Value> = sends(&state)
            .iter()
            .skip(before)
            .filter(|m| answers(m, &args.event_type, message_id.as_deref()))
            .cloned()
            .collect();
        if let Some(first) = replies.into_iter().next() {
            break first;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(CliError::failure(format!(
                "the bot did not reply to the {} within {}",
                args.event_type,
                qqbot::output::stats::human_duration(wait)
            ))
            .hint("its log should say why; replies name the message with msg_id (or the event with event_id)"));
        }
        tokio::time::sleep(REPLY_POLL).await;
    };
    let accepted = reply["status"]
        .as_u64()
        .is_some_and(|s| (200..300).contains(&s));
    if global.json {
        println!(
            "{}",
            json!({"reply": reply, "after_ms": started.elapsed().as_millis() as u64})
        );
    } else if !global.quiet {
        println!(
            "reply after {}: {}",
            qqbot::output::stats::human_duration(started.elapsed()),
            message_line(&reply).trim_start()
        );
    }
    if accepted {
        return Ok(Exit::Ok);
    }
    let code = reply["code"].as_u64().unwrap_or(0);
    let mut err = CliError::failure(format!(
        "the emulator refused the bot's reply (HTTP {}, code {code})",
        reply["status"]
    ));
    if let Some(info) = qqbot::protocol::api_errors::api_error_info(code) {
        err = err.cause(info.meaning).hint(info.hint);
    }
    Err(err)
}

/// How often `dispatch --wait-reply` looks at the emulator's state.
const REPLY_POLL: Duration = Duration::from_millis(50);

/// The send-route calls in an emulator state.
fn sends(state: &Value) -> &[Value] {
    state["messages"].as_array().map_or(&[], Vec::as_slice)
}

/// Whether a send answers the event: a passive reply naming its message (`msg_id`), a reply to
/// its event (`event_id`, which the emulator prefixes with the event type), or the
/// acknowledgement of an interaction (`PUT /interactions/{id}`).
fn answers(send: &Value, event_type: &str, message_id: Option<&str>) -> bool {
    let route = send["route"].as_str().unwrap_or("");
    if route.ends_with("_recall") {
        return false;
    }
    let msg_id = send["msg_id"].as_str();
    let event_id = send["event_id"].as_str();
    let target = send["target"].as_str();
    (message_id.is_some() && msg_id == message_id)
        || event_id.is_some_and(|e| e.starts_with(&format!("{event_type}:")))
        || (route == "interaction" && message_id.is_some() && target == message_id)
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
        println!("{} applied to {n} session(s)", args.kind);
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
        // Numbers as strings: a JSON value's Display ignores width and alignment.
        println!(
            "{:<36}  {:<7}  {:>10}  {:>6}  {:<9}  {:>7}",
            s["id"].as_str().unwrap_or("?"),
            shard,
            s["intents"].to_string(),
            s["seq"].to_string(),
            if s["connected"].as_bool() == Some(true) {
                "yes"
            } else {
                "no"
            },
            s["resumes"].to_string(),
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
    use super::{answers, message_line};
    use serde_json::json;

    #[test]
    fn a_reply_names_the_message_the_event_or_the_interaction() {
        let by_msg = json!({"route": "group", "msg_id": "M1", "target": "G1"});
        assert!(answers(&by_msg, "GROUP_AT_MESSAGE_CREATE", Some("M1")));
        assert!(!answers(&by_msg, "GROUP_AT_MESSAGE_CREATE", Some("M2")));
        let by_event = json!({"route": "c2c", "event_id": "FRIEND_ADD:abc", "target": "U1"});
        assert!(answers(&by_event, "FRIEND_ADD", None));
        assert!(!answers(&by_event, "GROUP_ADD_ROBOT", None));
        let ack = json!({"route": "interaction", "target": "I1"});
        assert!(answers(&ack, "INTERACTION_CREATE", Some("I1")));
        assert!(!answers(&ack, "INTERACTION_CREATE", None));
        let recall = json!({"route": "group_recall", "msg_id": "M1", "target": "G1"});
        assert!(
            !answers(&recall, "GROUP_AT_MESSAGE_CREATE", Some("M1")),
            "a recall is no reply"
        );
    }

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
