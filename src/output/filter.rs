//! Which items reach the output: event types, guild / channel / group / user, control items.

use std::collections::HashSet;

use super::fields::EventFields;
use crate::gateway::{GatewayItem, ItemKind};

/// A filter built from `--events`, `--guild`, `--channel`, `--group`, `--user` and
/// `--include-control`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these event types (`t`), if set.
    pub events: Option<HashSet<String>>,
    /// Only this guild.
    pub guild: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only this group openid.
    pub group: Option<String>,
    /// Only events from this user id / openid.
    pub user: Option<String>,
    /// Let lifecycle items (hello, ready, heartbeats, closes) through.
    pub include_control: bool,
}

impl Filter {
    /// Whether any body field is filtered on (so `d` must be read).
    fn needs_fields(&self) -> bool {
        self.guild.is_some()
            || self.channel.is_some()
            || self.group.is_some()
            || self.user.is_some()
    }

    /// Whether every dispatch passes (no type or body filter).
    pub fn passes_every_dispatch(&self) -> bool {
        self.events.is_none() && !self.needs_fields()
    }

    /// Whether `item` passes.
    pub fn accepts(&self, item: &GatewayItem) -> bool {
        let ItemKind::Dispatch(d) = &item.kind else {
            return self.include_control;
        };
        if let Some(events) = &self.events
            && !events.contains(&*d.t)
        {
            return false;
        }
        if !self.needs_fields() {
            return true;
        }
        let fields = EventFields::peek(d.d());
        let matches = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        matches(&self.guild, fields.guild_id.as_deref())
            && matches(&self.channel, fields.channel_id.as_deref())
            && matches(&self.group, fields.group())
            && self
                .user
                .as_deref()
                .is_none_or(|u| fields.user_ids().contains(&u))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::gateway::{Dispatch, ShardId};

    fn dispatch(t: &str, d: &str) -> GatewayItem {
        let frame = format!(r#"{{"op":0,"s":1,"t":"{t}","d":{d}}}"#);
        let start = frame.rfind(d).unwrap();
        GatewayItem {
            shard: ShardId::ONE,
            received_at: chrono::Utc::now(),
            kind: ItemKind::Dispatch(Dispatch::new(
                Some(1),
                t.into(),
                None,
                Arc::from(frame.as_str()),
                start..start + d.len(),
            )),
        }
    }

    #[test]
    fn filters_by_type_and_fields() {
        let guild_msg = dispatch(
            "AT_MESSAGE_CREATE",
            r#"{"guild_id":"1","channel_id":"2","author":{"id":"42"}}"#,
        );
        let group_msg = dispatch(
            "GROUP_AT_MESSAGE_CREATE",
            r#"{"group_openid":"G1","author":{"member_openid":"M1"}}"#,
        );
        let all = Filter::default();
        assert!(all.accepts(&guild_msg) && all.accepts(&group_msg));

        let by_type = Filter {
            events: Some(["AT_MESSAGE_CREATE".to_owned()].into()),
            ..Default::default()
        };
        assert!(by_type.accepts(&guild_msg) && !by_type.accepts(&group_msg));

        let by_group = Filter {
            group: Some("G1".into()),
            ..Default::default()
        };
        assert!(!by_group.accepts(&guild_msg) && by_group.accepts(&group_msg));

        let by_user = Filter {
            user: Some("M1".into()),
            ..Default::default()
        };
        assert!(by_user.accepts(&group_msg) && !by_user.accepts(&guild_msg));

        let by_channel = Filter {
            guild: Some("1".into()),
            channel: Some("2".into()),
            ..Default::default()
        };
        assert!(by_channel.accepts(&guild_msg));
        let wrong = Filter {
            channel: Some("3".into()),
            ..Default::default()
        };
        assert!(!wrong.accepts(&guild_msg));
    }

    #[test]
    fn control_items_need_include_control() {
        let ack = GatewayItem {
            shard: ShardId::ONE,
            received_at: chrono::Utc::now(),
            kind: ItemKind::ReconnectRequested,
        };
        assert!(!Filter::default().accepts(&ack));
        assert!(
            Filter {
                include_control: true,
                ..Default::default()
            }
            .accepts(&ack)
        );
    }
}
