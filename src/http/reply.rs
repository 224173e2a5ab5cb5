//! Sending a message the way the platform expects it, for every scene: the body for a text or
//! markdown message, one call for the four send routes, and passive replies with a `msg_seq`
//! that moves on when the platform says a number was already used (40054005). `qqbot send` and
//! [`crate::client::Context`]'s reply helpers both go through here (PROTOCOL.md §8.3).

use std::time::Duration;

use serde_json::json;

use super::api::Api;
use super::error::ApiError;
use super::types::{MessageBody, MsgType, SendOutcome, UploadFile, UploadedFile};
use crate::models::Timestamp;

/// 40054005: this `(msg_id, msg_seq)` was already used.
pub const DUPLICATE_SEQ: u64 = 40054005;

/// Extra attempts with the next `msg_seq` after a 40054005 (the bot itself may have used
/// numbers the allocator does not know about).
pub const DEDUP_RETRIES: u32 = 4;

/// Replies the platform allows per inbound group or C2C message.
pub const MAX_REPLIES: u32 = 5;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scene {
    /// A guild text channel (`/channels/{channel_id}/messages`).
    Channel,
    /// A guild direct-message session (`/dms/{guild_id}/messages`).
    Dm,
    /// A group (`/v2/groups/{group_openid}/messages`).
    Group,
    /// A single chat (`/v2/users/{openid}/messages`).
    C2c,
}

impl Scene {
    /// Group and C2C: the v2 routes, with `msg_type`, `msg_seq` and uploaded media.
    pub const fn is_v2(self) -> bool {
        matches!(self, Scene::Group | Scene::C2c)
    }

    /// How long after the message a passive reply is accepted.
    pub const fn reply_window(self) -> Duration {
        match self {
            Scene::C2c => Duration::from_secs(60 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }

    /// The reply window in words.
    pub const fn reply_window_text(self) -> &'static str {
        match self {
            Scene::C2c => "60 min for C2C",
            Scene::Group => "5 min for groups",
            Scene::Channel => "5 min for guild channels",
            Scene::Dm => "5 min for guild DMs",
        }
    }

    /// The scene a received message event is answered in, for the message events that take
    /// a passive reply (`msg_id`): guild channel (`AT_MESSAGE_CREATE`, `MESSAGE_CREATE`), guild
    /// DM, group (`GROUP_AT_MESSAGE_CREATE`, `GROUP_MESSAGE_CREATE`) and C2C.
    pub fn of_message_event(t: &str) -> Option<Scene> {
        match t {
            "AT_MESSAGE_CREATE" | "MESSAGE_CREATE" => Some(Scene::Channel),
            "DIRECT_MESSAGE_CREATE" => Some(Scene::Dm),
            "GROUP_AT_MESSAGE_CREATE" | "GROUP_MESSAGE_CREATE" => Some(Scene::Group),
            "C2C_MESSAGE_CREATE" => Some(Scene::C2c),
            _ => None,
        }
    }

    /// `channel`, `dm`, `group` or `c2c`.
    pub const fn label(self) -> &'static str {
        match self {
            Scene::Channel => "channel",
            Scene::Dm => "dm",
            Scene::Group => "group",
            Scene::C2c => "c2c",
        }
    }
}

impl MessageBody {
    /// A text message for `scene` (`msg_type` 0 on the v2 routes).
    pub fn text_in(scene: Scene, content: impl Into<String>) -> MessageBody {
        let mut body = MessageBody::text(content);
        if !scene.is_v2() {
            body.msg_type = None;
        }
        body
    }

    /// A markdown message for `scene` (`msg_type` 2 and a placeholder `content` on the v2
    /// routes, which want one).
    pub fn markdown_in(scene: Scene, markdown: impl Into<String>) -> MessageBody {
        let mut body = MessageBody {
            markdown: Some(json!({ "content": markdown.into() })),
            ..MessageBody::default()
        };
        if scene.is_v2() {
            body.msg_type = Some(MsgType::Markdown);
            body.content = Some(" ".to_owned());
        }
        body
    }
}

/// A delivered message, whatever the route answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The new message's id.
    pub id: String,
    /// When the platform took it.
    pub timestamp: Option<Timestamp>,
    /// The reference index of a group/C2C message (for quoting it later).
    pub ref_idx: Option<String>,
}

/// Why [`send_reply`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError<E: std::error::Error + 'static> {
    /// No `msg_seq` could be allocated.
    #[error("cannot allocate a msg_seq")]
    Seq(#[source] E),
    /// The platform (or the way to it) refused; `seq` is the last `msg_seq` sent.
    #[error("{error}")]
    Api {
        /// The failure.
        #[source]
        error: ApiError,
        /// The `msg_seq` it was sent with.
        seq: Option<u32>,
    },
}

/// Whether the platform said this `(msg_id, msg_seq)` was already used.
pub fn is_duplicate_seq(error: &ApiError) -> bool {
    error.code() == Some(DUPLICATE_SEQ) || error.err_code() == Some(DUPLICATE_SEQ)
}

impl Api {
    /// Send `body` to `target` in `scene`: a channel id, the guild id of a DM session, a group
    /// openid or a user openid.
    pub async fn post_message(
        &self,
        scene: Scene,
        target: &str,
        body: &MessageBody,
    ) -> Result<SendOutcome<Delivered>, ApiError> {
        let guild = |m: crate::models::Message| Delivered {
            id: m.id,
            timestamp: m.timestamp,
            ref_idx: None,
        };
        let v2 = |m: super::types::SentMessage| Delivered {
            ref_idx: m.ref_idx().map(str::to_owned),
            id: m.id,
            timestamp: m.timestamp,
        };
        Ok(match scene {
            Scene::Channel => self.post_channel_message(target, body).await?.map(guild),
            Scene::Dm => self.post_dm_message(target, body).await?.map(guild),
            Scene::Group => self.post_group_message(target, body).await?.map(v2),
            Scene::C2c => self.post_c2c_message(target, body).await?.map(v2),
        })
    }

    /// Upload rich media for a group or C2C message (`None` for guild scenes, which send an
    /// `image` URL in the body instead).
    pub async fn upload_file(
        &self,
        scene: Scene,
        target: &str,
        upload: &UploadFile,
    ) -> Option<Result<UploadedFile, ApiError>> {
        match scene {
            Scene::Group => Some(self.upload_group_file(target, upload).await),
            Scene::C2c => Some(self.upload_c2c_file(target, upload).await),
            Scene::Channel | Scene::Dm => None,
        }
    }
}

/// Send a (passive) message, with a `msg_seq` from `next_seq` on the v2 routes when the body
/// replies to something (`msg_id` or `event_id`). When the platform answers 40054005 the next
/// number is tried, up to `retries` more times; `on_reuse` hears each number found used. Returns
/// the outcome and the `msg_seq` it went out with.
pub async fn send_reply<E: std::error::Error + 'static>(
    api: &Api,
    scene: Scene,
    target: &str,
    mut body: MessageBody,
    mut next_seq: impl FnMut() -> Result<u32, E>,
    retries: u32,
    mut on_reuse: impl FnMut(u32),
) -> Result<(SendOutcome<Delivered>, Option<u32>), ReplyError<E>> {
    let numbered = scene.is_v2() && (body.msg_id.is_some() || body.event_id.is_some());
    let mut attempt = 0;
    loop {
        let seq = if numbered {
            Some(next_seq().map_err(ReplyError::Seq)?)
        } else {
            None
        };
        body.msg_seq = seq;
        match api.post_message(scene, target, &body).await {
            Ok(outcome) => return Ok((outcome, seq)),
            Err(error) if seq.is_some() && is_duplicate_seq(&error) && attempt < retries => {
                attempt += 1;
                on_reuse(seq.unwrap_or(0));
            }
            Err(error) => return Err(ReplyError::Api { error, seq }),
        }
    }
}
