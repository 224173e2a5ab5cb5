//! Human output: one aligned line per item, optionally coloured.

use std::fmt::Write as _;

use super::fields::EventFields;
use crate::gateway::core::CLIENT_RESUME_CLOSE;
use crate::gateway::{Cause, Dispatch, GatewayItem, ItemKind, ShardState};
use crate::protocol::close_info;
use chrono::Local;

/// ANSI styling, or none; and whether ids are shown in full (the default: `qqbot send` needs
/// them) or shortened.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    color: bool,
    short_ids: bool,
}

impl Painter {
    /// A painter that colours when `color` is true, showing ids in full.
    pub const fn new(color: bool) -> Painter {
        Painter {
            color,
            short_ids: false,
        }
    }

    /// Shorten ids and openids to 12 characters (`listen --short-ids`).
    pub const fn with_short_ids(mut self, short: bool) -> Painter {
        self.short_ids = short;
        self
    }

    fn id(&self, id: &str) -> String {
        if self.short_ids {
            snippet(id, 12)
        } else {
            snippet(id, 128)
        }
    }

    fn paint(&self, out: &mut String, code: &str, text: &str) {
        if self.color {
            let _ = write!(out, "\x1b[{code}m{text}\x1b[0m");
        } else {
            out.push_str(text);
        }
    }
}

/// At most `max` characters of `text` on one line.
pub fn snippet(text: &str, max: usize) -> String {
    let flat: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// Message content as the user typed it: guild content escapes `&`, `<` and `>` as HTML
/// entities (message_format.md). `&amp;` is undone last, so `&amp;lt;` stays `&lt;`.
pub fn unescape_content(content: &str) -> std::borrow::Cow<'_, str> {
    if !content.contains('&') {
        return std::borrow::Cow::Borrowed(content);
    }
    std::borrow::Cow::Owned(
        content
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

fn event_color(t: &str) -> &'static str {
    if t.contains("MESSAGE_CREATE") {
        "32"
    } else if t.contains("DELETE") || t.contains("REJECT") || t.contains("DEL_") {
        "31"
    } else if t.contains("MEMBER") || t.contains("FRIEND") || t.contains("ROBOT") {
        "36"
    } else if t.contains("REACTION") || t.contains("INTERACTION") {
        "33"
    } else {
        "35"
    }
}

fn prefix(out: &mut String, painter: Painter, item: &GatewayItem) {
    let time = item
        .received_at
        .with_timezone(&Local)
        .format("%H:%M:%S%.3f")
        .to_string();
    painter.paint(out, "2", &time);
    let _ = write!(out, " {:>5} ", item.shard.to_string());
}

fn dispatch_line(out: &mut String, painter: Painter, d: &Dispatch) {
    let seq = d
        .seq
        .map(|s| format!("#{s}"))
        .unwrap_or_else(|| "#-".into());
    let _ = write!(out, "{seq:>7} ");
    // `t` comes from the wire: show at most 64 characters of it, on one line.
    let t = if d.t.len() <= 64 && !d.t.chars().any(char::is_control) {
        std::borrow::Cow::Borrowed(&*d.t)
    } else {
        std::borrow::Cow::Owned(snippet(&d.t, 64))
    };
    painter.paint(out, event_color(&d.t), &format!("{t:<26}"));
    let fields = EventFields::peek(d.d());
    let mut parts: Vec<String> = Vec::new();
    if let Some(g) = fields.group() {
        parts.push(format!("group:{}", painter.id(g)));
    } else if let Some(g) = fields.guild_id.as_deref() {
        parts.push(format!("guild:{}", painter.id(g)));
    }
    if let Some(c) = fields.channel_id.as_deref() {
        parts.push(format!("channel:{}", painter.id(c)));
    }
    if let Some(name) = fields.name.as_deref() {
        parts.push(format!("name:{}", snippet(name, 24)));
    }
    match (fields.who_name(), fields.who_id()) {
        (Some(name), Some(id)) if name != id => {
            parts.push(format!("from:{}({})", snippet(name, 16), painter.id(id)));
        }
        (_, Some(id)) => parts.push(format!("from:{}", painter.id(id))),
        (Some(name), None) => parts.push(format!("from:{}", snippet(name, 16))),
        (None, None) => {}
    }
    // The id `send --reply-to` (messages) or `send --event-id` (other events) takes.
    if let Some(id) = fields.id.as_deref().filter(|id| !id.is_empty()) {
        let label = if d.t.contains("MESSAGE") { "msg" } else { "id" };
        parts.push(format!("{label}:{}", painter.id(id)));
    } else if let Some(id) = d.id().filter(|_| replyable_event(&d.t)) {
        parts.push(format!("event:{}", painter.id(id)));
    }
    out.push(' ');
    out.push_str(&parts.join(" "));
    if let Some(content) = fields.content.as_deref() {
        out.push(' ');
        let typed = unescape_content(content);
        painter.paint(out, "1", &format!("{:?}", snippet(&typed, 60)));
    }
}

/// Events a bot may answer with `send --event-id` (the envelope id).
fn replyable_event(t: &str) -> bool {
    matches!(
        t,
        "GROUP_ADD_ROBOT"
            | "FRIEND_ADD"
            | "C2C_MSG_RECEIVE"
            | "GROUP_MSG_RECEIVE"
            | "ENTER_AIO"
            | "INTERACTION_CREATE"
    )
}

/// One human line (with trailing newline) for `item`.
pub fn line(item: &GatewayItem, painter: Painter) -> String {
    let mut out = String::with_capacity(160);
    prefix(&mut out, painter, item);
    match &item.kind {
        ItemKind::Dispatch(d) => dispatch_line(&mut out, painter, d),
        other => {
            let _ = write!(out, "{:>7} ", "");
            let (code, text) = describe(other);
            painter.paint(&mut out, code, &text);
        }
    }
    out.push('\n');
    out
}

/// Colour code and plain-language text of a lifecycle item.
pub fn describe(kind: &ItemKind) -> (&'static str, String) {
    match kind {
        ItemKind::Dispatch(d) => ("0", d.t.to_string()),
        ItemKind::Connected { url, attempt } => {
            ("2", format!("connected to {url} (attempt {attempt})"))
        }
        ItemKind::Hello { heartbeat_interval } => (
            "2",
            format!(
                "hello: heartbeat every {} ms",
                heartbeat_interval.as_millis()
            ),
        ),
        ItemKind::Identifying { intents } => ("2", format!("identify with intents {intents}")),
        ItemKind::Resuming { session_id, seq } => (
            "2",
            format!(
                "resume session {} from seq {}",
                short(session_id),
                seq.map(|s| s.to_string()).unwrap_or_else(|| "-".into())
            ),
        ),
        ItemKind::Ready {
            session_id,
            username,
            user_id,
            ..
        } => (
            "32",
            format!(
                "ready: session {} as {username} ({user_id})",
                short(session_id)
            ),
        ),
        ItemKind::Resumed {
            replayed,
            recovered_in,
            ..
        } => (
            "32",
            match recovered_in {
                Some(d) => format!(
                    "resumed after {:.0} ms, {replayed} missed event(s) replayed",
                    d.as_secs_f64() * 1000.0
                ),
                None => format!("resumed, {replayed} missed event(s) replayed"),
            },
        ),
        ItemKind::HeartbeatSent { seq } => (
            "2",
            format!(
                "heartbeat (seq {})",
                seq.map(|s| s.to_string()).unwrap_or_else(|| "null".into())
            ),
        ),
        ItemKind::HeartbeatAck { rtt } => (
            "2",
            format!("heartbeat ack in {:.1} ms", rtt.as_secs_f64() * 1000.0),
        ),
        ItemKind::ReconnectRequested => ("33", "server asked to reconnect (op 7)".into()),
        ItemKind::StateChange { from, to } => (
            "2",
            match to {
                ShardState::Disconnected { attempt } if *attempt > 0 => format!(
                    "state {} -> disconnected ({attempt} failed attempt(s))",
                    from.name()
                ),
                _ => format!("state {} -> {}", from.name(), to.name()),
            },
        ),
        ItemKind::InvalidSession { resumable, reason } => (
            "31",
            format!("invalid session (op 9, resumable: {resumable}): {reason}"),
        ),
        ItemKind::Closed {
            code,
            reason,
            action,
            cause,
            ..
        } => {
            let text = match cause {
                Cause::Closed {
                    code: Some(code), ..
                } => {
                    let info = close_info(*code);
                    let reason = if reason.is_empty() { info.name } else { reason };
                    format!(
                        "closed by the gateway: {code} {reason}: {} → {}",
                        info.meaning,
                        action.describe()
                    )
                }
                Cause::Closed { code: None, .. } => format!(
                    "the connection dropped without a close frame ({reason}) → {}",
                    action.describe()
                ),
                Cause::Transport { error } => {
                    format!("the connection broke: {error} → {}", action.describe())
                }
                Cause::Shutdown => format!(
                    "closed by qqbot on shutdown ({}); the session stays resumable",
                    code.unwrap_or(CLIENT_RESUME_CLOSE)
                ),
                Cause::Zombie { missed } => format!(
                    "closed by qqbot ({}): zombie connection, {missed} heartbeat(s) not acknowledged → {}",
                    code.unwrap_or(CLIENT_RESUME_CLOSE),
                    action.describe()
                ),
                _ => format!(
                    "closed by qqbot ({}, {reason}) → {}",
                    code.map_or_else(|| "-".to_owned(), |c| c.to_string()),
                    action.describe()
                ),
            };
            ("33", text)
        }
        ItemKind::IdentifyWait { delay } => (
            "33",
            format!(
                "waiting {:.1} s for the identify window (at most max_concurrency sessions start per 5 s)",
                delay.as_secs_f64()
            ),
        ),
        ItemKind::Backoff {
            delay,
            attempt,
            resume,
        } => (
            "33",
            format!(
                "retrying in {:.1} s (attempt {attempt}, will {})",
                delay.as_secs_f64(),
                if *resume { "resume" } else { "identify" }
            ),
        ),
        ItemKind::Lagged { dropped } => (
            "31",
            format!("consumer too slow: {dropped} item(s) dropped from the buffer"),
        ),
        ItemKind::Gap { after, next } => (
            "31",
            format!(
                "events lost: resumed after s = {after} but the gateway continued at s = {next}; up to {} event(s) were not replayed",
                next - after - 1
            ),
        ),
        ItemKind::Error { message } => ("31", format!("error: {message}")),
        ItemKind::Fatal { reason, hint, .. } => (
            "1;31",
            match hint {
                Some(h) => format!("fatal: {reason} (hint: {h})"),
                None => format!("fatal: {reason}"),
            },
        ),
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::gateway::ShardId;
    use crate::protocol::CloseAction;

    fn dispatch(t: &str, d: &str) -> GatewayItem {
        let frame = format!(r#"{{"op":0,"s":3,"t":"{t}","id":"{t}:x","d":{d}}}"#);
        let start = frame.find(d).unwrap();
        GatewayItem {
            shard: ShardId::ONE,
            received_at: chrono::Utc::now(),
            kind: ItemKind::Dispatch(Dispatch::new(
                Some(3),
                t.into(),
                Some(format!("{t}:x").as_str()),
                Arc::from(frame.as_str()),
                start..start + d.len(),
            )),
        }
    }

    #[test]
    fn dispatch_lines_show_the_useful_fields() {
        let item = dispatch(
            "AT_MESSAGE_CREATE",
            r#"{"author":{"id":"1234","username":"abc"},"channel_id":"100010","guild_id":"187","content":"<@!1> /ping\nmore"}"#,
        );
        let text = line(&item, Painter::new(false));
        assert!(text.contains("#3"), "{text}");
        assert!(text.contains("AT_MESSAGE_CREATE"));
        assert!(
            text.contains("guild:187 channel:100010 from:abc(1234)"),
            "{text}"
        );
        assert!(text.contains(r#""<@!1> /ping more""#), "{text}");
        let escaped = dispatch(
            "AT_MESSAGE_CREATE",
            r#"{"content":"1 &lt; 2 &amp;&amp; 3 &gt; 2"}"#,
        );
        assert!(line(&escaped, Painter::new(false)).contains(r#""1 < 2 && 3 > 2""#));
        assert!(!text.contains('\x1b'));
        let coloured = line(&item, Painter::new(true));
        assert!(coloured.contains("\x1b[32m"));

        let group = dispatch(
            "GROUP_AT_MESSAGE_CREATE",
            r#"{"author":{"member_openid":"0BA13D42"},"group_openid":"82B3406CB35C","content":" hi"}"#,
        );
        let text = line(&group, Painter::new(false));
        assert!(text.contains("group:82B3406CB35C from:0BA13D42"), "{text}");
    }

    #[test]
    fn ids_are_shown_in_full_unless_asked_to_shorten() {
        let c2c = dispatch(
            "C2C_MESSAGE_CREATE",
            r#"{"id":"ROBOT1.0_kc2bHnWq4XzZ8Gf5DRx!","author":{"user_openid":"E4F4AEA33253A2797FB897C50B81D7ED"},"content":"hi"}"#,
        );
        let full = line(&c2c, Painter::new(false));
        assert!(
            full.contains(
                "from:E4F4AEA33253A2797FB897C50B81D7ED msg:ROBOT1.0_kc2bHnWq4XzZ8Gf5DRx!"
            ),
            "{full}"
        );
        let short = line(&c2c, Painter::new(false).with_short_ids(true));
        assert!(short.contains("from:E4F4AEA3325…"), "{short}");
        assert!(short.contains("msg:ROBOT1.0_kc…"), "{short}");
        let robot = dispatch(
            "GROUP_ADD_ROBOT",
            r#"{"group_openid":"G1","op_member_openid":"M1"}"#,
        );
        let text = line(&robot, Painter::new(false));
        assert!(
            text.contains("group:G1 from:M1 event:GROUP_ADD_ROBOT:x"),
            "{text}"
        );
    }

    #[test]
    fn odd_bodies_do_not_break_the_line() {
        for d in [r#""""#, "null", "[1,2]", r#"{"content":5}"#] {
            let text = line(&dispatch("RESUMED", d), Painter::new(false));
            assert!(text.ends_with('\n'));
        }
    }

    #[test]
    fn a_huge_event_type_is_elided() {
        let text = line(&dispatch(&"T".repeat(70_000), "{}"), Painter::new(false));
        assert!(text.len() < 300, "{} bytes", text.len());
        assert!(text.contains(&format!("{}…", "T".repeat(63))), "{text}");
    }

    #[test]
    fn closes_are_explained() {
        let (_, text) = describe(&ItemKind::Closed {
            code: Some(4009),
            reason: "Session timed out".into(),
            origin: crate::gateway::CloseOrigin::Server,
            action: CloseAction::Resume,
            cause: crate::gateway::Cause::Closed {
                code: Some(4009),
                reason: "Session timed out".into(),
            },
        });
        assert!(text.contains("4009 Session timed out"), "{text}");
        assert!(text.contains("resume"), "{text}");
    }

    #[test]
    fn snippets_are_bounded() {
        assert_eq!(snippet("  a\nb  ", 10), "a b");
        assert_eq!(snippet("abcdefghijkl", 5), "abcd…");
    }
}
