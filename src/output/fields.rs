//! The few fields of an event body that output and filters care about, read without a full parse.

use std::borrow::Cow;

use serde::Deserialize;

/// A person as events describe them (author, user).
#[derive(Debug, Deserialize, Default)]
pub struct Person<'a> {
    /// Display name.
    #[serde(borrow, default)]
    pub username: Option<Cow<'a, str>>,
    /// User id (guild) or openid (group/C2C).
    #[serde(borrow, default)]
    pub id: Option<Cow<'a, str>>,
    /// Group member openid.
    #[serde(borrow, default)]
    pub member_openid: Option<Cow<'a, str>>,
    /// C2C user openid.
    #[serde(borrow, default)]
    pub user_openid: Option<Cow<'a, str>>,
}

impl Person<'_> {
    /// The best label for a human: name, else an id.
    pub fn label(&self) -> Option<&str> {
        [
            &self.username,
            &self.member_openid,
            &self.user_openid,
            &self.id,
        ]
        .into_iter()
        .flatten()
        .map(|c| c.as_ref())
        .find(|s| !s.is_empty())
    }

    fn ids(&self) -> impl Iterator<Item = &str> {
        [&self.id, &self.member_openid, &self.user_openid]
            .into_iter()
            .flatten()
            .map(|c| c.as_ref())
    }
}

/// Fields worth showing or filtering on, from any event body. Everything is optional; a body
/// that is not an object yields the default (all `None`).
#[derive(Debug, Deserialize, Default)]
pub struct EventFields<'a> {
    /// The body's own id (a message id for message events); a non-string `id` is ignored
    /// rather than hiding every other field.
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub id: Option<Cow<'a, str>>,
    /// Guild id.
    #[serde(borrow, default)]
    pub guild_id: Option<Cow<'a, str>>,
    /// Channel id.
    #[serde(borrow, default)]
    pub channel_id: Option<Cow<'a, str>>,
    /// Group openid.
    #[serde(borrow, default)]
    pub group_openid: Option<Cow<'a, str>>,
    /// Group id (same value as group_openid in real payloads).
    #[serde(borrow, default)]
    pub group_id: Option<Cow<'a, str>>,
    /// Message author.
    #[serde(borrow, default)]
    pub author: Option<Person<'a>>,
    /// Member events' user.
    #[serde(borrow, default)]
    pub user: Option<Person<'a>>,
    /// Reactions' user.
    #[serde(borrow, default)]
    pub user_id: Option<Cow<'a, str>>,
    /// Friend events' user.
    #[serde(borrow, default)]
    pub openid: Option<Cow<'a, str>>,
    /// Interactions (C2C) and ENTER_AIO.
    #[serde(borrow, default)]
    pub user_openid: Option<Cow<'a, str>>,
    /// Group robot events' operator.
    #[serde(borrow, default)]
    pub op_member_openid: Option<Cow<'a, str>>,
    /// Interactions (group).
    #[serde(borrow, default)]
    pub group_member_openid: Option<Cow<'a, str>>,
    /// Message text.
    #[serde(borrow, default)]
    pub content: Option<Cow<'a, str>>,
    /// Guild/channel name.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
}

/// A string, or `None` for any other JSON value.
fn lenient_str<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrOther<'a> {
        Str(#[serde(borrow)] Cow<'a, str>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match StrOrOther::deserialize(d)? {
        StrOrOther::Str(s) => Some(s),
        StrOrOther::Other(_) => None,
    })
}

impl<'a> EventFields<'a> {
    /// Read the fields from a raw `d`; anything unreadable gives the empty default.
    pub fn peek(d: &'a str) -> EventFields<'a> {
        if !d.trim_start().starts_with('{') {
            return EventFields::default();
        }
        serde_json::from_str(d).unwrap_or_default()
    }

    /// The group, from `group_openid` or `group_id`.
    pub fn group(&self) -> Option<&str> {
        self.group_openid.as_deref().or(self.group_id.as_deref())
    }

    /// The acting user's best label.
    pub fn who(&self) -> Option<&str> {
        self.author
            .as_ref()
            .and_then(Person::label)
            .or_else(|| self.user.as_ref().and_then(Person::label))
            .or(self.user_id.as_deref())
            .or(self.user_openid.as_deref())
            .or(self.group_member_openid.as_deref())
            .or(self.op_member_openid.as_deref())
            .or(self.openid.as_deref())
    }

    /// The acting user's display name, when the body has one.
    pub fn who_name(&self) -> Option<&str> {
        self.author
            .as_ref()
            .and_then(|p| p.username.as_deref())
            .or_else(|| self.user.as_ref().and_then(|p| p.username.as_deref()))
            .filter(|n| !n.is_empty())
    }

    /// The acting user's id or openid (what `send --user` or a filter takes).
    pub fn who_id(&self) -> Option<&str> {
        fn person_id<'p>(p: &'p Person<'_>) -> Option<&'p str> {
            [&p.user_openid, &p.member_openid, &p.id]
                .into_iter()
                .flatten()
                .map(|c| c.as_ref())
                .find(|s| !s.is_empty())
        }
        self.author
            .as_ref()
            .and_then(person_id)
            .or_else(|| self.user.as_ref().and_then(person_id))
            .or(self.user_id.as_deref())
            .or(self.user_openid.as_deref())
            .or(self.group_member_openid.as_deref())
            .or(self.op_member_openid.as_deref())
            .or(self.openid.as_deref())
    }

    /// Every user id or openid mentioned as the actor.
    pub fn user_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        if let Some(a) = &self.author {
            ids.extend(a.ids());
        }
        if let Some(u) = &self.user {
            ids.extend(u.ids());
        }
        ids.extend(
            [
                &self.user_id,
                &self.openid,
                &self.user_openid,
                &self.op_member_openid,
                &self.group_member_openid,
            ]
            .into_iter()
            .flatten()
            .map(|c| c.as_ref()),
        );
        ids
    }
}
