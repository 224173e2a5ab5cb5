//! Passive-reply rules (PROTOCOL.md §8.3): what a send with `msg_id` / `event_id` may reply to.
//!
//! The emulator remembers every message and event it delivered (id, scene, target, time). A reply
//! must name one of them, in the same scene and chat, inside the window (5 min for group, guild
//! and DM; 60 min for C2C), at most [`MAX_REPLIES`] times, and never reuse a `(msg_id, msg_seq)`
//! pair in group/C2C.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

/// Replies allowed per inbound message or event.
pub const MAX_REPLIES: u32 = 5;

/// Where a message lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scene {
    /// A guild text channel (target: channel id).
    Guild,
    /// A guild direct message (target: the DM's guild id).
    Dm,
    /// A group (target: group openid).
    Group,
    /// A single chat (target: user openid).
    C2c,
}

impl Scene {
    /// How long a passive reply is allowed after the original.
    pub const fn window(self) -> Duration {
        match self {
            Scene::C2c => Duration::from_secs(60 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }

    /// Whether `msg_seq` dedupe applies.
    pub const fn has_msg_seq(self) -> bool {
        matches!(self, Scene::Group | Scene::C2c)
    }
}

/// Why a reply was refused: HTTP status, code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Platform error code.
    pub code: u64,
    /// Platform message text.
    pub message: &'static str,
}

/// `msg_id` / `event_id` unknown or belonging to another chat.
pub const INVALID_MSG_ID: Refusal = Refusal {
    status: 400,
    code: 40034024,
    message: "请求参数msg_id无效或越权",
};
/// The reply window has passed.
pub const EXPIRED_MSG_ID: Refusal = Refusal {
    status: 400,
    code: 40034005,
    message: "回复消息msg_id已过期",
};
/// `(msg_id, msg_seq)` reused.
pub const DUPLICATE_SEQ: Refusal = Refusal {
    status: 400,
    code: 40054005,
    message: "消息被去重，请检查请求msgseq",
};
/// More than [`MAX_REPLIES`] replies (emulator choice of code: `22009 msg limit exceed`).
pub const TOO_MANY_REPLIES: Refusal = Refusal {
    status: 400,
    code: 22009,
    message: "msg limit exceed",
};
/// Proactive group/C2C sends are discontinued (2025-04-21).
pub const PROACTIVE_REFUSED: Refusal = Refusal {
    status: 400,
    code: 40034102,
    message: "主动消息失败, 无权限",
};

#[derive(Debug)]
struct Origin {
    scene: Scene,
    /// `None`: any target in the scene (guild events such as GUILD_MEMBER_ADD carry no channel).
    target: Option<String>,
    at: Instant,
    replies: u32,
    seqs: HashSet<u64>,
}

/// Every message and event id the emulator delivered, for passive-reply checks.
#[derive(Debug, Default)]
pub struct PassiveRegistry {
    by_id: HashMap<String, Origin>,
    /// Channel id → guild id, from delivered guild events (so a send to an injected event's
    /// channel reports that event's guild).
    channel_guilds: HashMap<String, String>,
}

/// Entries are dropped once older than this (the longest window plus margin).
const RETAIN: Duration = Duration::from_secs(2 * 60 * 60);

impl PassiveRegistry {
    /// Remember an id as repliable in `scene`/`target`.
    pub fn remember(&mut self, id: &str, scene: Scene, target: Option<&str>, at: Instant) {
        if self.by_id.len() >= 50_000 {
            self.by_id
                .retain(|_, o| at.saturating_duration_since(o.at) < RETAIN);
        }
        self.by_id.entry(id.to_owned()).or_insert(Origin {
            scene,
            target: target.map(str::to_owned),
            at,
            replies: 0,
            seqs: HashSet::new(),
        });
    }

    /// Remember what a delivered event makes repliable: its message id (`d.id`) for message
    /// events, and its event id (top-level `id`) for every event with a known scene.
    pub fn remember_event(&mut self, t: &str, event_id: &str, d: &Value, at: Instant) {
        let s = |path: &[&str]| -> Option<String> {
            let mut v = d;
            for key in path {
                v = v.get(key)?;
            }
            v.as_str().map(str::to_owned)
        };
        let (scene, target, msg_id) = match t {
            "AT_MESSAGE_CREATE" | "MESSAGE_CREATE" => {
                (Scene::Guild, s(&["channel_id"]), s(&["id"]))
            }
            "DIRECT_MESSAGE_CREATE" => (Scene::Dm, s(&["guild_id"]), s(&["id"])),
            "GROUP_AT_MESSAGE_CREATE" | "GROUP_MESSAGE_CREATE" => {
                (Scene::Group, s(&["group_openid"]), s(&["id"]))
            }
            "C2C_MESSAGE_CREATE" => (Scene::C2c, s(&["author", "user_openid"]), s(&["id"])),
            "GROUP_ADD_ROBOT" | "GROUP_MSG_RECEIVE" => (Scene::Group, s(&["group_openid"]), None),
            "FRIEND_ADD" | "C2C_MSG_RECEIVE" => (Scene::C2c, s(&["openid"]), None),
            "INTERACTION_CREATE" => match s(&["group_openid"]) {
                Some(group) => (Scene::Group, Some(group), None),
                None => match s(&["user_openid"]) {
                    Some(user) => (Scene::C2c, Some(user), None),
                    None => (Scene::Guild, s(&["channel_id"]), None),
                },
            },
            t if t.starts_with("GUILD_MEMBER_")
                || t.starts_with("MESSAGE_REACTION_")
                || t.starts_with("FORUM_") =>
            {
                (Scene::Guild, None, None)
            }
            _ => return,
        };
        if let Some(msg_id) = msg_id {
            self.remember(&msg_id, scene, target.as_deref(), at);
        }
        self.remember(event_id, scene, target.as_deref(), at);
        if let (Some(channel), Some(guild)) = (s(&["channel_id"]), s(&["guild_id"]))
            && scene == Scene::Guild
        {
            if self.channel_guilds.len() >= 50_000 {
                self.channel_guilds.clear();
            }
            self.channel_guilds.insert(channel, guild);
        }
    }

    /// The guild of a channel seen in a delivered guild event.
    pub fn guild_of_channel(&self, channel: &str) -> Option<String> {
        self.channel_guilds.get(channel).cloned()
    }

    /// Check (and on success count) a send. `msg_id` wins over `event_id` when both are set.
    /// Guild sends without either are proactive and allowed here; group/C2C ones are refused.
    pub fn check_reply(
        &mut self,
        scene: Scene,
        target: &str,
        msg_id: Option<&str>,
        event_id: Option<&str>,
        msg_seq: Option<u64>,
        now: Instant,
    ) -> Result<(), Refusal> {
        let Some(id) = msg_id.or(event_id) else {
            return match scene {
                Scene::Group | Scene::C2c => Err(PROACTIVE_REFUSED),
                Scene::Guild | Scene::Dm => Ok(()),
            };
        };
        let origin = self.by_id.get_mut(id).ok_or(INVALID_MSG_ID)?;
        if origin.scene != scene || origin.target.as_deref().is_some_and(|t| t != target) {
            return Err(INVALID_MSG_ID);
        }
        if now.saturating_duration_since(origin.at) > scene.window() {
            return Err(EXPIRED_MSG_ID);
        }
        let seq = msg_seq.unwrap_or(1);
        if scene.has_msg_seq() && origin.seqs.contains(&seq) {
            return Err(DUPLICATE_SEQ);
        }
        if origin.replies >= MAX_REPLIES {
            return Err(TOO_MANY_REPLIES);
        }
        origin.replies += 1;
        if scene.has_msg_seq() {
            origin.seqs.insert(seq);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test(start_paused = true)]
    async fn group_reply_rules() {
        let mut reg = PassiveRegistry::default();
        let d = json!({"id": "ROBOT1.0_x!", "group_openid": "G1"});
        reg.remember_event(
            "GROUP_AT_MESSAGE_CREATE",
            "GROUP_AT_MESSAGE_CREATE:1",
            &d,
            Instant::now(),
        );
        let now = Instant::now();
        let send = |reg: &mut PassiveRegistry, target: &str, seq| {
            reg.check_reply(Scene::Group, target, Some("ROBOT1.0_x!"), None, seq, now)
        };
        assert_eq!(send(&mut reg, "G2", Some(1)), Err(INVALID_MSG_ID));
        assert_eq!(send(&mut reg, "G1", None), Ok(()));
        assert_eq!(send(&mut reg, "G1", Some(1)), Err(DUPLICATE_SEQ));
        for seq in 2..=5 {
            assert_eq!(send(&mut reg, "G1", Some(seq)), Ok(()));
        }
        assert_eq!(send(&mut reg, "G1", Some(6)), Err(TOO_MANY_REPLIES));
        assert_eq!(
            reg.check_reply(Scene::Group, "G1", None, None, None, now),
            Err(PROACTIVE_REFUSED)
        );
        assert_eq!(
            reg.check_reply(Scene::Group, "G1", Some("nope"), None, None, now),
            Err(INVALID_MSG_ID)
        );
        // The event id works too, with its own counter.
        assert_eq!(
            reg.check_reply(
                Scene::Group,
                "G1",
                None,
                Some("GROUP_AT_MESSAGE_CREATE:1"),
                None,
                now
            ),
            Ok(())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn windows_differ_by_scene() {
        let mut reg = PassiveRegistry::default();
        let start = Instant::now();
        reg.remember("g", Scene::Group, Some("G"), start);
        reg.remember("c", Scene::C2c, Some("U"), start);
        let later = start + Duration::from_secs(301);
        assert_eq!(
            reg.check_reply(Scene::Group, "G", Some("g"), None, None, later),
            Err(EXPIRED_MSG_ID)
        );
        assert_eq!(
            reg.check_reply(Scene::C2c, "U", Some("c"), None, None, later),
            Ok(())
        );
        let much_later = start + Duration::from_secs(3601);
        assert_eq!(
            reg.check_reply(Scene::C2c, "U", Some("c"), None, Some(2), much_later),
            Err(EXPIRED_MSG_ID)
        );
    }
}
