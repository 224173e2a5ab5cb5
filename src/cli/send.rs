//! `qqbot send`: send one message to a channel, guild DM, group or user, as a passive reply with an
//! automatic `msg_seq`, with pre-flight checks of the reply rules (PROTOCOL.md §8.3) and a
//! one-line explanation of every known error code.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args};
use serde_json::{Value, json};

use qqbot::config::Settings;
use qqbot::http::api::{FileType, MessageBody, UploadFile};
use qqbot::http::msg_seq::{MsgSeqStore, SeqEntry};
use qqbot::http::reply::{DEDUP_RETRIES, Delivered, MAX_REPLIES, ReplyError, Scene, send_reply};
use qqbot::http::{Api, ApiError, ApiErrorKind, SendOutcome, TokenSource};
use qqbot::models::Timestamp;
use qqbot::record::{Record, RecordReader};

use super::GlobalArgs;
use super::exit::{CliError, CliResult, Exit};
use super::listen::settings;

/// Arguments of `qqbot send`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["channel", "dm", "group", "user"])))]
pub struct SendArgs {
    /// Credentials and endpoints.
    #[command(flatten)]
    pub conn: super::ConnArgs,
    /// Send to a guild text channel (channel id).
    #[arg(long, value_name = "ID")]
    pub channel: Option<String>,
    /// Send to a guild direct-message session (its guild id, from DIRECT_MESSAGE_CREATE).
    #[arg(long, value_name = "GUILD_ID")]
    pub dm: Option<String>,
    /// Send to a group (group openid).
    #[arg(long, value_name = "OPENID")]
    pub group: Option<String>,
    /// Send to a user in a single chat (C2C; user openid).
    #[arg(long, value_name = "OPENID")]
    pub user: Option<String>,
    /// The text (`-` reads stdin). Optional with --image / --file.
    #[arg(value_name = "TEXT")]
    pub content: Option<String>,
    /// Send the text as markdown (msg_type 2).
    #[arg(long)]
    pub markdown: bool,
    /// Attach an image by public URL (group/C2C: uploaded through the files route, msg_type 7).
    #[arg(long, value_name = "URL", conflicts_with = "file")]
    pub image: Option<String>,
    /// Attach media by public URL (png/jpg, mp4, silk). Local paths are refused: QQ fetches media from a URL.
    #[arg(long, value_name = "URL|PATH")]
    pub file: Option<String>,
    /// A keyboard payload, as JSON (`{"id": "…"}` or `{"content": {…}}`).
    #[arg(long, value_name = "JSON")]
    pub keyboard: Option<String>,
    /// Reply to this message id (passive reply).
    #[arg(long, value_name = "MSG_ID", conflicts_with = "event_id")]
    pub reply_to: Option<String>,
    /// Reply to this event id (INTERACTION_CREATE, GROUP_ADD_ROBOT, FRIEND_ADD, …).
    #[arg(long, value_name = "ID")]
    pub event_id: Option<String>,
    /// Use this msg_seq instead of allocating one.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub msg_seq: Option<u32>,
    /// When the original message was sent (RFC 3339), for the reply-window check.
    #[arg(long, value_name = "RFC3339", conflicts_with = "from_recording")]
    pub reply_time: Option<String>,
    /// Look the original message's time up in a `qqbot record` file.
    #[arg(long, value_name = "FILE")]
    pub from_recording: Option<PathBuf>,
    /// Send even when qqbot knows the platform will refuse (proactive group/C2C sends).
    #[arg(long)]
    pub force: bool,
    /// Recall (撤回) this message the bot sent to the target instead of sending one (the id
    /// `qqbot send` printed). Group and C2C messages: within 2 min of sending.
    #[arg(long, value_name = "MSG_ID", conflicts_with_all = [
        "content", "markdown", "image", "file", "keyboard", "reply_to", "event_id", "msg_seq",
        "reply_time", "from_recording", "force",
    ])]
    pub recall: Option<String>,
    /// With --recall in a guild channel or DM: hide the "message recalled" notice.
    #[arg(long, requires = "recall")]
    pub hidetip: bool,
}

fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// Credentials, a shared token source and an API client for the resolved settings.
pub(super) struct Connection {
    pub token: Arc<TokenSource>,
    pub api: Api,
}

/// Build the token source and API client, or say which credential is missing.
pub(super) fn connect(settings: &Settings) -> Result<Connection, CliError> {
    let (Some(app_id), Some(secret)) = (&settings.app_id, &settings.secret) else {
        let missing = match (&settings.app_id, &settings.secret) {
            (None, None) => "no app id and no secret",
            (None, Some(_)) => "no app id",
            _ => "no secret",
        };
        return Err(CliError::usage(format!("no bot credentials ({missing})"))
            .cause(super::listen::credential_origin(settings))
            .hint(
                "set QQBOT_APP_ID and QQBOT_SECRET, use --app-id with --secret-file, or run `qqbot config init`",
            ));
    };
    super::listen::check_app_id(&app_id.value)?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("qqbot/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CliError::failure("cannot build the HTTP client").caused_by(&e))?;
    let token = Arc::new(TokenSource::new(
        http.clone(),
        settings.token_url.value.clone(),
        app_id.value.clone(),
        secret.value.clone(),
    ));
    let api = Api::with_http_client(
        http,
        settings.api_base.value.clone(),
        app_id.value.clone(),
        token.clone(),
    );
    Ok(Connection { token, api })
}

/// Turn an OpenAPI error into `qqbot: error: …` with the code's meaning, the platform's words and
/// trace id as the cause, and the hint from the error-code table.
pub(super) fn api_error(what: &str, err: &ApiError) -> CliError {
    let exit = match err.kind() {
        ApiErrorKind::Unauthorized => Exit::Auth,
        ApiErrorKind::Token
            if std::error::Error::source(err)
                .and_then(|s| s.downcast_ref::<qqbot::http::TokenError>())
                .is_some_and(|t| t.is_auth()) =>
        {
            Exit::Auth
        }
        _ => Exit::Failure,
    };
    let code = err.code().or(err.err_code());
    let message = match (err.info(), code) {
        (Some(info), Some(code)) => format!("{what}: {} ({code})", info.meaning),
        (None, Some(code)) => format!("{what}: error code {code}"),
        _ => match err.kind() {
            ApiErrorKind::Token => format!("{what}: could not get an access token"),
            ApiErrorKind::Transport => format!("{what}: the request did not complete"),
            _ => what.to_owned(),
        },
    };
    // The cause line ends with `[trace …]`: quote it when asking the platform for help.
    let mut out = CliError::new(exit, message).caused_by(err);
    out.platform_code = code;
    out.trace_id = err.trace_id().map(str::to_owned);
    let hint = err.hint().map(str::to_owned).or_else(|| {
        token_hint(err).or(match err.kind() {
            ApiErrorKind::Transport => {
                Some("check the network path to the API base (--api-base)".to_owned())
            }
            _ => None,
        })
    });
    match hint {
        Some(h) => out.hint(h),
        None => out,
    }
}

fn token_hint(err: &ApiError) -> Option<String> {
    let token = std::error::Error::source(err)?.downcast_ref::<qqbot::http::TokenError>()?;
    match token {
        qqbot::http::TokenError::Rejected { hint: Some(h), .. } => Some((*h).to_owned()),
        qqbot::http::TokenError::Unreachable(_) => {
            Some("check the network path to the token URL (--token-url)".to_owned())
        }
        _ => None,
    }
}

fn read_content(args: &SendArgs) -> Result<Option<String>, CliError> {
    match args.content.as_deref() {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                CliError::failure("cannot read the message from stdin").caused_by(&e)
            })?;
            let text = text.trim_end_matches(['\n', '\r']).to_owned();
            Ok(Some(text))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

fn file_type_for(url: &str) -> Option<FileType> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let ext = path.rsplit('.').next().unwrap_or("");
    match ext {
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" => Some(FileType::Image),
        "mp4" => Some(FileType::Video),
        "silk" | "slk" => Some(FileType::Voice),
        _ => None,
    }
}

fn is_url(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

/// The media to attach: (URL, file type).
fn media(args: &SendArgs, scene: Scene) -> Result<Option<(String, FileType)>, CliError> {
    if let Some(url) = &args.image {
        if !is_url(url) {
            return Err(CliError::usage(format!("--image `{url}` is not an http(s) URL"))
                .hint("QQ fetches media from a public URL: upload the image somewhere reachable first"));
        }
        return Ok(Some((url.clone(), FileType::Image)));
    }
    let Some(file) = &args.file else {
        return Ok(None);
    };
    if !is_url(file) {
        return Err(CliError::usage(format!(
            "--file {file}: QQ's rich-media upload needs a public URL; local files cannot be sent"
        ))
        .hint("the files route takes `url` (the platform fetches it); `file_data` uploads are not supported. Host the file (object storage, a CDN) and pass --file https://…"));
    }
    if !scene.is_v2() {
        return Err(CliError::usage("--file works for --group and --user only")
            .hint("for a guild channel or DM, send an image with --image URL"));
    }
    let file_type = file_type_for(file).ok_or_else(|| {
        CliError::usage(format!("--file {file}: cannot tell the media type from the extension"))
            .hint("QQ accepts png/jpg images, mp4 video and silk voice; file type 4 (other files) is not open yet")
    })?;
    Ok(Some((file.clone(), file_type)))
}

/// Where the original message's time came from.
struct OriginalTime {
    at: DateTime<Utc>,
    source: String,
}

fn parse_reply_time(text: &str) -> Result<DateTime<Utc>, CliError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            CliError::usage(format!("--reply-time `{text}` is not an RFC 3339 time"))
                .caused_by(&e)
                .hint("e.g. 2026-01-31T12:00:00+08:00 (the `timestamp` of the message event)")
        })
}

/// Find the message (by `d.id`) or event (by envelope `id`) in a recording: its `timestamp`
/// when it has one, else when the frame was recorded.
fn time_from_recording(path: &Path, id: &str) -> Result<Option<DateTime<Utc>>, CliError> {
    let cannot = |e: &qqbot::record::RecordError| {
        CliError::failure(format!("cannot read the recording {}", path.display())).caused_by(e)
    };
    let mut reader = RecordReader::open(path).map_err(|e| cannot(&e))?;
    while let Some(record) = reader.next_record().map_err(|e| cannot(&e))? {
        let Record::Frame(frame) = record else {
            continue;
        };
        let Some(env) = &frame.envelope else {
            continue;
        };
        if env.op != 0 {
            continue;
        }
        let d_text = frame.text.get(env.d_range.clone()).unwrap_or("");
        let d: Value = serde_json::from_str(d_text).unwrap_or(Value::Null);
        let matches =
            env.id(&frame.text) == Some(id) || d.get("id").and_then(Value::as_str) == Some(id);
        if !matches {
            continue;
        }
        let stamped = d
            .get("timestamp")
            .and_then(|t| match t {
                Value::String(s) => Timestamp::parse(s),
                Value::Number(n) => n.as_i64().and_then(Timestamp::from_unix),
                _ => None,
            })
            .map(|t| t.to_utc());
        return Ok(Some(stamped.unwrap_or(frame.at)));
    }
    Ok(None)
}

fn warn(global: &GlobalArgs, text: &str) {
    if !global.quiet {
        eprintln!("qqbot: warning: {text}");
    }
}

fn note(global: &GlobalArgs, text: &str) {
    if !global.quiet && !global.json {
        eprintln!("qqbot: {text}");
    }
}

/// Pre-flight checks of a passive reply: the window and the reply count. Warnings only.
fn preflight(
    global: &GlobalArgs,
    scene: Scene,
    original: Option<&OriginalTime>,
    entry: Option<SeqEntry>,
) {
    if let Some(original) = original {
        let age = Utc::now().signed_duration_since(original.at);
        let age = age.to_std().unwrap_or(Duration::ZERO);
        if age > scene.reply_window() {
            warn(
                global,
                &format!(
                    "the reply window closed {} ago: the original message is {} old ({}; time from {}); expect 40034005 (msg_id expired)",
                    human_duration(age - scene.reply_window()),
                    human_duration(age),
                    scene.reply_window_text(),
                    original.source
                ),
            );
        } else {
            note(
                global,
                &format!(
                    "reply window: {} left ({})",
                    human_duration(scene.reply_window() - age),
                    scene.reply_window_text()
                ),
            );
        }
    }
    if scene.is_v2() {
        let replies = entry.map_or(0, |e| e.replies);
        if replies >= MAX_REPLIES {
            warn(
                global,
                &format!(
                    "this would be reply {} to this message; the platform allows {MAX_REPLIES} per message, so expect a refusal",
                    replies + 1
                ),
            );
        }
    }
}

/// Run `qqbot send`. With `--json`, a failure is also written to stdout as one JSON object
/// ([`CliError::to_json`]); the human error still goes to stderr.
pub async fn run(global: &GlobalArgs, args: SendArgs) -> CliResult {
    let mut origin = None;
    let result = send(global, args, &mut origin)
        .await
        .map_err(|e| match &origin {
            Some(origin) => super::listen::with_origin(e, origin),
            None => e,
        });
    if global.json
        && let Err(err) = &result
        && !err.is_broken_pipe()
    {
        outln!("{}", err.to_json())?;
    }
    result
}

/// 22009 on a passive group/C2C reply: the message's replies are used up (`replies` is what
/// the msg_seq store knows about this message), which waiting cannot fix.
fn replies_used_up(err: ApiError, reply_id: &str, replies: u32) -> CliError {
    let err = err.without_retry_after();
    let message = if replies >= MAX_REPLIES {
        format!(
            "the platform refused the reply: message {reply_id} has used up its {MAX_REPLIES} passive replies (22009)"
        )
    } else {
        format!(
            "the platform refused the reply: message limit exceeded (22009): message {reply_id} has probably used up its {MAX_REPLIES} passive replies (this store knows of {replies}), or the bot sends too fast"
        )
    };
    // The library files 22009 under rate limits; here it is not one.
    let cause = err
        .to_string()
        .replacen(": rate limited (", ": refused (", 1);
    let mut out = CliError::failure(message).cause(cause);
    out.platform_code = Some(22009);
    out.trace_id = err.trace_id().map(str::to_owned);
    out.hint(format!(
        "each received message takes at most {MAX_REPLIES} replies and retrying does not help: reply to a newer message (--reply-to), or to an event with --event-id"
    ))
}

/// `origin` is set to where the credentials came from once they are resolved.
async fn send(global: &GlobalArgs, args: SendArgs, origin: &mut Option<String>) -> CliResult {
    let (scene, target) = match (&args.channel, &args.dm, &args.group, &args.user) {
        (Some(id), ..) => (Scene::Channel, id.clone()),
        (_, Some(id), ..) => (Scene::Dm, id.clone()),
        (_, _, Some(id), _) => (Scene::Group, id.clone()),
        (_, _, _, Some(id)) => (Scene::C2c, id.clone()),
        _ => {
            return Err(CliError::usage(
                "give one of --channel, --dm, --group, --user",
            ));
        }
    };
    if target.trim().is_empty() {
        return Err(CliError::usage("the target id is empty"));
    }
    if let Some(message_id) = &args.recall {
        return recall(global, &args, scene, &target, message_id, origin).await;
    }
    let content = read_content(&args)?;
    let media = media(&args, scene)?;
    let keyboard = match &args.keyboard {
        Some(text) => Some(serde_json::from_str::<Value>(text).map_err(|e| {
            CliError::usage("--keyboard is not valid JSON")
                .caused_by(&e)
                .hint(r#"e.g. --keyboard '{"id": "123_456"}' (a keyboard template id)"#)
        })?),
        None => None,
    };
    if content.as_deref().is_none_or(|c| c.trim().is_empty()) && media.is_none() {
        return Err(CliError::usage(
            "nothing to send: give a TEXT (or `-` for stdin), --image or --file",
        ));
    }
    let reply_id = args.reply_to.clone().or_else(|| args.event_id.clone());

    // Proactive group/C2C sends are gone (2025-04-21): refuse before spending a request.
    if scene.is_v2() && reply_id.is_none() && !args.force {
        let kind = if scene == Scene::Group {
            "group"
        } else {
            "C2C"
        };
        return Err(CliError::failure(format!(
            "not sending: proactive {kind} messages were discontinued on 2025-04-21"
        ))
        .hint("reply to a message with --reply-to MSG_ID (or to an event with --event-id ID) within the reply window; --force sends anyway (the platform answers 40034102)"));
    }

    let settings = settings(global)?;
    *origin = Some(super::listen::credential_origin(&settings));
    let conn = connect(&settings)?;

    // What is known about the original message.
    let original = match (&args.reply_time, &args.from_recording, &reply_id) {
        (Some(text), ..) => Some(OriginalTime {
            at: parse_reply_time(text)?,
            source: "--reply-time".to_owned(),
        }),
        (None, Some(path), Some(id)) => match time_from_recording(path, id)? {
            Some(at) => Some(OriginalTime {
                at,
                source: format!("recording {}", path.display()),
            }),
            None => {
                warn(
                    global,
                    &format!(
                        "{id} is not in the recording {}: reply window not checked",
                        path.display()
                    ),
                );
                None
            }
        },
        (None, Some(_), None) => {
            return Err(CliError::usage(
                "--from-recording needs --reply-to or --event-id",
            ));
        }
        _ => None,
    };
    if original.is_some() && reply_id.is_none() {
        warn(
            global,
            "--reply-time without --reply-to/--event-id: this is a proactive send",
        );
    }

    let store = match &reply_id {
        Some(_) => Some(
            MsgSeqStore::default_location()
                .map_err(|e| CliError::failure("cannot use the msg_seq store").caused_by(&e))?,
        ),
        None => None,
    };
    let entry = match (&store, &reply_id) {
        (Some(store), Some(id)) => store.get(id).unwrap_or(None),
        _ => None,
    };
    if reply_id.is_some() {
        preflight(global, scene, original.as_ref(), entry);
    }

    // Rich media for group/C2C: upload first, then send msg_type 7 with the file_info.
    let text = content.clone().filter(|c| !c.trim().is_empty());
    let mut body = match &media {
        Some((url, file_type)) => {
            let upload = UploadFile {
                file_type: *file_type,
                url: url.clone(),
                srv_send_msg: false,
            };
            match conn.api.upload_file(scene, &target, &upload).await {
                Some(uploaded) => {
                    let uploaded =
                        uploaded.map_err(|e| api_error("the media upload failed", &e))?;
                    let mut body = MessageBody::media(uploaded.file_info);
                    if text.is_some() {
                        body.content = text;
                    }
                    body
                }
                // Guild scenes take the image URL in the body.
                None => MessageBody {
                    image: Some(url.clone()),
                    content: text,
                    ..MessageBody::default()
                },
            }
        }
        None if args.markdown => {
            MessageBody::markdown_in(scene, content.clone().unwrap_or_default())
        }
        None => MessageBody::text_in(scene, content.clone().unwrap_or_default()),
    };
    body.keyboard = keyboard;
    body.msg_id = args.reply_to.clone();
    body.event_id = args.event_id.clone();

    // msg_seq: group/C2C replies only (guild sends have none), from the store unless given.
    let next_seq = || match (args.msg_seq, &store, &reply_id) {
        (Some(n), ..) => Ok(n),
        (None, Some(store), Some(id)) => store.allocate(id),
        _ => Ok(0),
    };
    let retries = if args.msg_seq.is_some() {
        0
    } else {
        DEDUP_RETRIES
    };
    let on_reuse = |seq: u32| {
        note(
            global,
            &format!(
                "msg_seq {seq} was already used for this message (40054005); trying the next one"
            ),
        )
    };
    match send_reply(&conn.api, scene, &target, body, next_seq, retries, on_reuse).await {
        Ok((outcome, seq)) => {
            let replies = match (&store, &reply_id) {
                (Some(store), Some(id)) => store.record_reply(id).ok(),
                _ => None,
            };
            report(
                global,
                scene,
                &target,
                reply_id.as_deref(),
                seq,
                replies,
                outcome,
            )?;
            Ok(Exit::Ok)
        }
        Err(ReplyError::Seq(e)) => {
            Err(CliError::failure("cannot allocate a msg_seq").caused_by(&e))
        }
        Err(ReplyError::Api { error: e, seq }) => {
            if matches!(
                e.kind(),
                qqbot::http::ApiErrorKind::Transport | qqbot::http::ApiErrorKind::Token
            ) && e.code().is_none()
            {
                // Nothing reached the platform: do not say it refused anything.
                return Err(api_error(
                    "could not reach the platform; the message was not sent",
                    &e,
                ));
            }
            let mut err = match reply_id.as_deref() {
                Some(id)
                    if scene.is_v2()
                        && (e.code() == Some(22009) || e.err_code() == Some(22009)) =>
                {
                    replies_used_up(e, id, entry.map_or(0, |e| e.replies))
                }
                Some(_) => api_error("the platform refused the reply", &e),
                None => api_error("the platform refused the message", &e),
            };
            if let Some(seq) = seq {
                err.causes.insert(0, format!("sent with msg_seq {seq}"));
            }
            Err(err)
        }
    }
}

/// `send --recall MSG_ID`: withdraw a message the bot sent to `target`.
async fn recall(
    global: &GlobalArgs,
    args: &SendArgs,
    scene: Scene,
    target: &str,
    message_id: &str,
    origin: &mut Option<String>,
) -> CliResult {
    if message_id.trim().is_empty() {
        return Err(CliError::usage("--recall: the message id is empty"));
    }
    if args.hidetip && scene.is_v2() {
        return Err(CliError::usage(
            "--hidetip applies to guild channels and DMs only",
        ));
    }
    let settings = settings(global)?;
    *origin = Some(super::listen::credential_origin(&settings));
    let conn = connect(&settings)?;
    if let Err(e) = conn
        .api
        .recall_message(scene, target, message_id, args.hidetip)
        .await
    {
        if matches!(e.kind(), ApiErrorKind::Transport | ApiErrorKind::Token) && e.code().is_none() {
            return Err(api_error(
                "could not reach the platform; nothing was recalled",
                &e,
            ));
        }
        let mut err = api_error("the platform refused the recall", &e);
        // The table's hints for these codes are about replies; a recall's id is a sent one.
        if matches!(e.code(), Some(40034024 | 304026 | 304027)) || err.hint.is_none() {
            err.hint = Some(
                "recall takes the id `qqbot send` printed for a message this bot sent to this target; group and C2C messages only within 2 min of sending".to_owned(),
            );
        }
        return Err(err);
    }
    if global.json {
        outln!(
            "{}",
            json!({"status": "recalled", "scene": scene.label(), "target": target, "id": message_id})
        )?;
    } else if !global.quiet {
        eprintln!(
            "qqbot: recalled {message_id} from {} {target}",
            scene.label()
        );
    }
    Ok(Exit::Ok)
}

fn report(
    global: &GlobalArgs,
    scene: Scene,
    target: &str,
    reply_to: Option<&str>,
    seq: Option<u32>,
    replies: Option<u32>,
    sent: SendOutcome<Delivered>,
) -> std::io::Result<()> {
    match sent {
        SendOutcome::Sent(Delivered {
            id,
            timestamp,
            ref_idx,
        }) => {
            let timestamp = timestamp.map(|t| t.to_string());
            if global.json {
                outln!(
                    "{}",
                    json!({
                        "status": "sent", "scene": scene.label(), "target": target, "id": id,
                        "timestamp": timestamp, "ref_idx": ref_idx, "reply_to": reply_to,
                        "msg_seq": seq, "replies": replies,
                    })
                )?;
                return Ok(());
            }
            outln!("{id}")?;
            if global.quiet {
                return Ok(());
            }
            let mut line = format!("qqbot: sent to {} {target}", scene.label());
            if let Some(reply_to) = reply_to {
                line.push_str(&format!(" as a reply to {reply_to}"));
                if let Some(seq) = seq {
                    line.push_str(&format!(" (msg_seq {seq}"));
                    if let Some(n) = replies {
                        line.push_str(&format!(
                            ", reply {n} of {MAX_REPLIES}, {} left",
                            MAX_REPLIES.saturating_sub(n)
                        ));
                    }
                    line.push(')');
                }
            }
            eprintln!("{line}");
        }
        SendOutcome::QueuedForAudit { audit_id } => {
            if global.json {
                outln!(
                    "{}",
                    json!({
                        "status": "queued_for_audit", "scene": scene.label(), "target": target,
                        "audit_id": audit_id, "reply_to": reply_to, "msg_seq": seq,
                    })
                )?;
            } else {
                outln!("queued for audit (audit id {audit_id})")?;
                if !global.quiet {
                    eprintln!(
                        "qqbot: the platform holds the message for review (HTTP 202): not sent yet, not refused; the verdict arrives as MESSAGE_AUDIT_PASS / MESSAGE_AUDIT_REJECT with this audit id"
                    );
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_from_extensions() {
        assert_eq!(file_type_for("https://x/a.PNG?x=1"), Some(FileType::Image));
        assert_eq!(file_type_for("https://x/a.mp4"), Some(FileType::Video));
        assert_eq!(file_type_for("https://x/a.silk"), Some(FileType::Voice));
        assert_eq!(file_type_for("https://x/a.pdf"), None);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_secs(59)), "59s");
        assert_eq!(human_duration(Duration::from_secs(301)), "5m01s");
        assert_eq!(human_duration(Duration::from_secs(3720)), "1h02m");
    }
}
