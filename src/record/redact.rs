//! Redaction: what never reaches a recording (tokens, secrets) and what may be pseudonymised
//! (`--redact-ids`) or blanked (`--redact-content`).
//!
//! Tokens and secrets are always removed. Without id or content redaction a frame is rewritten
//! only when it holds a token or secret, and then only inside the offending strings; every other
//! frame is stored byte-exact.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use rand::Rng;

use super::format::RedactionInfo;
use super::scan::{Site, rewrite_strings};
use crate::protocol::{EventNames, Peeked};
use crate::secret::Secret;

/// What a recorder redacts beyond tokens and secrets, and which secrets to scrub.
#[derive(Debug, Clone, Default)]
pub struct Redaction {
    /// Strings that must not appear anywhere in the file: the app secret, access tokens.
    pub secrets: Vec<Secret>,
    /// Replace openids and user/guild/group/channel/message ids by pseudonyms consistent within
    /// the file (`--redact-ids`).
    pub ids: bool,
    /// Blank message `content` (`--redact-content`).
    pub content: bool,
    /// Replace usernames, nicknames and avatar URLs by pseudonyms consistent within the file
    /// (`--redact-names`).
    pub names: bool,
}

impl Redaction {
    /// Tokens and the given secrets only.
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Redaction {
        Redaction {
            secrets: secrets.into_iter().collect(),
            ..Redaction::default()
        }
    }

    /// Also pseudonymise ids.
    pub fn with_ids(mut self, on: bool) -> Redaction {
        self.ids = on;
        self
    }

    /// Also pseudonymise usernames, nicknames and avatar URLs.
    pub fn with_names(mut self, on: bool) -> Redaction {
        self.names = on;
        self
    }

    /// Also blank message content.
    pub fn with_content(mut self, on: bool) -> Redaction {
        self.content = on;
        self
    }

    /// As recorded in the header.
    pub fn info(&self) -> RedactionInfo {
        RedactionInfo {
            tokens: true,
            ids: self.ids,
            content: self.content,
            names: self.names,
        }
    }
}

/// What replaces a token: the scheme is kept so the shape stays recognisable.
const MASK: &str = "***";

/// Keys (anywhere under `d`) whose string values are ids.
const ID_KEYS: &[&str] = &[
    "id",
    "guild_id",
    "src_guild_id",
    "channel_id",
    "group_id",
    "group_openid",
    "openid",
    "user_openid",
    "member_openid",
    "union_openid",
    "group_member_openid",
    "op_member_openid",
    "user_id",
    "op_user_id",
    "owner_id",
    "message_id",
    "author_id",
];

/// Keys (anywhere under `d`) whose string values name or picture a person.
const NAME_KEYS: &[&str] = &["username", "nick", "nickname", "member_nick", "avatar"];

/// Parent keys whose `id` is not a person's or message's (emoji ids are face numbers).
const NOT_ID_PARENTS: &[&str] = &["emoji"];

/// Applies a [`Redaction`] to frames and lifecycle text.
#[derive(Debug)]
pub(crate) struct Redactor {
    /// Raw secrets plus their JSON-escaped spellings, longest first.
    needles: Vec<String>,
    ids: Option<Pseudonyms>,
    names: Option<Pseudonyms>,
    content: bool,
}

impl Redactor {
    pub(crate) fn new(redaction: &Redaction) -> Redactor {
        let mut redactor = Redactor {
            needles: Vec::new(),
            ids: redaction.ids.then(Pseudonyms::new),
            names: redaction.names.then(Pseudonyms::new),
            content: redaction.content,
        };
        for secret in &redaction.secrets {
            redactor.add_secret(secret);
        }
        redactor
    }

    /// Scrub one more secret from now on (a refreshed access token).
    pub(crate) fn add_secret(&mut self, secret: &Secret) {
        let raw = secret.expose();
        if raw.is_empty() {
            return;
        }
        let quoted = serde_json::to_string(raw).unwrap_or_default();
        let escaped = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or(raw);
        for needle in [raw.to_owned(), escaped.to_owned()] {
            if !self.needles.contains(&needle) {
                self.needles.push(needle);
            }
        }
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    fn holds_secret(&self, text: &str) -> bool {
        self.needles.iter().any(|n| text.contains(n.as_str()))
    }

    /// Replace every secret in free text.
    pub(crate) fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.holds_secret(text) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_owned();
        for needle in &self.needles {
            out = out.replace(needle.as_str(), MASK);
        }
        Cow::Owned(out)
    }

    /// An id outside a frame (READY's user id in a lifecycle line).
    pub(crate) fn id<'a>(&self, id: &'a str) -> Cow<'a, str> {
        match &self.ids {
            Some(p) => Cow::Owned(p.pseudonym(id)),
            None => self.text(id),
        }
    }

    /// A username outside a frame (READY's in a lifecycle line).
    pub(crate) fn name<'a>(&self, name: &'a str) -> Cow<'a, str> {
        match &self.names {
            Some(p) => Cow::Owned(p.name("username", name)),
            None => self.text(name),
        }
    }

    /// Redact one frame. `valid_json` says whether `frame` is known to be valid JSON; when it is
    /// not, only secrets are replaced (the caller stores such frames as an escaped string).
    pub(crate) fn frame<'a>(&self, frame: &'a str, valid_json: bool) -> Cow<'a, str> {
        if !valid_json {
            return self.text(frame);
        }
        let op = Peeked::of(frame, &mut EventNames::default()).map(|p| p.op);
        let token_frame = matches!(op, Some(2 | 6));
        if !token_frame
            && self.ids.is_none()
            && self.names.is_none()
            && !self.content
            && !self.holds_secret(frame)
            && !contains_authorization(frame)
        {
            return Cow::Borrowed(frame);
        }
        rewrite_strings(frame, |site, text| self.string(site, text, token_frame))
            .unwrap_or_else(|| self.text(frame))
    }

    /// The replacement for one string of a frame, if any.
    fn string(&self, site: &Site<'_>, text: &str, token_frame: bool) -> Option<String> {
        let key = site.path.last().copied();
        if !site.is_key {
            if (token_frame && site.path == ["d", "token"])
                || key.is_some_and(|k| k.eq_ignore_ascii_case("authorization"))
            {
                return Some(mask_token(text));
            }
            if site.path.first() == Some(&"d") {
                if self.content && key == Some("content") {
                    return Some(String::new());
                }
                if let (Some(names), Some(k)) = (&self.names, key)
                    && NAME_KEYS.contains(&k)
                {
                    return Some(names.name(k, text));
                }
                if let Some(ids) = &self.ids {
                    if key.is_some_and(|k| is_id_key(k, site.path)) {
                        return Some(ids.pseudonym(text));
                    }
                    if key == Some("content") {
                        return ids.mentions(text).map(|t| self.text(&t).into_owned());
                    }
                }
            }
            if let (Some(ids), ["id"]) = (&self.ids, site.path) {
                return Some(ids.event_id(text));
            }
        }
        self.holds_secret(text)
            .then(|| self.text(text).into_owned())
    }
}

fn is_id_key(key: &str, path: &[&str]) -> bool {
    ID_KEYS.contains(&key)
        && !(key == "id" && path.len() >= 2 && NOT_ID_PARENTS.contains(&path[path.len() - 2]))
}

fn contains_authorization(text: &str) -> bool {
    // Cheap pre-check; the exact key comparison happens per string.
    text.contains("uthorization") || text.contains("UTHORIZATION")
}

/// `QQBot abc` → `QQBot ***`; anything else → `***`.
fn mask_token(token: &str) -> String {
    match token.split_once(' ') {
        Some((scheme, _)) if !scheme.is_empty() => format!("{scheme} {MASK}"),
        _ => MASK.to_owned(),
    }
}

/// Keyed-hash pseudonyms: the same input gives the same output within one file, and the key
/// (random per file, never written) makes them unlinkable across files.
#[derive(Debug)]
pub(crate) struct Pseudonyms {
    hasher: RandomState,
    salt: [u64; 2],
}

/// Prefixes kept as they are (group and C2C message ids).
const KEPT_PREFIXES: &[&str] = &["ROBOT1.0_"];

/// Numeric pseudonyms are at least this long, so that short ids do not collide.
const MIN_NUMERIC_LEN: usize = 16;

impl Pseudonyms {
    pub(crate) fn new() -> Pseudonyms {
        let mut rng = rand::rng();
        Pseudonyms {
            hasher: RandomState::new(),
            salt: [rng.random(), rng.random()],
        }
    }

    fn block(&self, input: &str, index: u64) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write_u64(self.salt[0]);
        h.write_u64(self.salt[1]);
        h.write(input.as_bytes());
        h.write_u64(index);
        h.finish()
    }

    /// A pseudonym with the input's shape: numeric strings stay numeric, upper-case hex stays
    /// upper-case hex of the same length, lower-case hex/UUIDs keep their dashes, and otherwise
    /// each character keeps its class (digit, upper, lower; punctuation kept).
    pub(crate) fn pseudonym(&self, input: &str) -> String {
        if input.is_empty() {
            return String::new();
        }
        let prefix = KEPT_PREFIXES
            .iter()
            .find(|p| input.starts_with(**p))
            .copied()
            .unwrap_or("");
        let body = &input[prefix.len()..];
        let mut digits = Digits {
            owner: self,
            input,
            index: 0,
            current: 0,
            left: 0,
        };
        let mut out = String::with_capacity(input.len().max(MIN_NUMERIC_LEN));
        out.push_str(prefix);
        let all_digits = !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit());
        let upper_hex = body.len() >= 8
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
        let lower_hex = body.len() >= 8
            && body
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-');
        if all_digits {
            let len = body.len().max(MIN_NUMERIC_LEN);
            out.push(char::from(b'1' + digits.next(9) as u8));
            for _ in 1..len {
                out.push(char::from(b'0' + digits.next(10) as u8));
            }
        } else if upper_hex || lower_hex {
            let alphabet: &[u8; 16] = if upper_hex {
                b"0123456789ABCDEF"
            } else {
                b"0123456789abcdef"
            };
            for b in body.bytes() {
                if b == b'-' {
                    out.push('-');
                } else {
                    out.push(char::from(alphabet[digits.next(16) as usize]));
                }
            }
        } else {
            for c in body.chars() {
                out.push(match c {
                    '0'..='9' => char::from(b'0' + digits.next(10) as u8),
                    'A'..='Z' => char::from(b'A' + digits.next(26) as u8),
                    'a'..='z' => char::from(b'a' + digits.next(26) as u8),
                    other => other,
                });
            }
        }
        out
    }

    /// A name or avatar pseudonym: `user-…` for usernames, `nick-…` for nicknames, an
    /// `https://avatar.invalid/…` URL for avatars (the same input gives the same output).
    pub(crate) fn name(&self, key: &str, input: &str) -> String {
        if input.is_empty() {
            return String::new();
        }
        let tag = self.block(input, u64::MAX) & 0xffff_ffff_ffff;
        match key {
            "avatar" => format!("https://avatar.invalid/{tag:012x}"),
            "username" => format!("user-{tag:012x}"),
            _ => format!("nick-{tag:012x}"),
        }
    }

    /// `AT_MESSAGE_CREATE:<opaque>` keeps the event name and pseudonymises the rest the same way
    /// as a `d.id` with that value would be.
    pub(crate) fn event_id(&self, id: &str) -> String {
        match id.split_once(':') {
            Some((name, rest)) => format!("{name}:{}", self.pseudonym(rest)),
            None => self.pseudonym(id),
        }
    }

    /// Mentions `<@!123>`, `<@123>` and channel links `<#123>` in content, with the numeric id
    /// pseudonymised; `None` when there are none.
    pub(crate) fn mentions(&self, content: &str) -> Option<String> {
        if !content.contains("<@") && !content.contains("<#") {
            return None;
        }
        let mut out = String::with_capacity(content.len() + 16);
        let mut rest = content;
        while let Some(start) = rest.find('<') {
            out.push_str(&rest[..start]);
            let tail = &rest[start..];
            let marker = ["<@!", "<@", "<#"]
                .iter()
                .find(|m| tail.starts_with(**m))
                .copied();
            let digits_len = marker.map_or(0, |m| {
                tail[m.len()..]
                    .bytes()
                    .take_while(u8::is_ascii_digit)
                    .count()
            });
            match marker {
                Some(m) if digits_len > 0 && tail[m.len() + digits_len..].starts_with('>') => {
                    out.push_str(m);
                    out.push_str(&self.pseudonym(&tail[m.len()..m.len() + digits_len]));
                    out.push('>');
                    rest = &tail[m.len() + digits_len + 1..];
                }
                _ => {
                    out.push('<');
                    rest = &tail[1..];
                }
            }
        }
        out.push_str(rest);
        Some(out)
    }
}

/// A stream of uniform-ish digits in any small base, drawn from keyed-hash blocks.
struct Digits<'a> {
    owner: &'a Pseudonyms,
    input: &'a str,
    index: u64,
    current: u64,
    left: u32,
}

impl Digits<'_> {
    fn next(&mut self, base: u64) -> u64 {
        // 64 bits give 13 base-26 digits or 16 hex digits; use 12 of any base per block.
        if self.left == 0 {
            self.current = self.owner.block(self.input, self.index);
            self.index += 1;
            self.left = 12;
        }
        let d = self.current % base;
        self.current /= base;
        self.left -= 1;
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(ids: bool, content: bool) -> Redactor {
        Redactor::new(
            &Redaction::new([Secret::new("s3cr3t-app-secret"), Secret::new("tok/en\"x")])
                .with_ids(ids)
                .with_content(content),
        )
    }

    #[test]
    fn identify_and_resume_tokens_are_masked_keeping_the_scheme() {
        let r = redactor(false, false);
        let identify = r#"{"op":2,"d":{"token":"QQBot abc.def","intents":513,"shard":[0,1]}}"#;
        assert_eq!(
            r.frame(identify, true),
            r#"{"op":2,"d":{"token":"QQBot ***","intents":513,"shard":[0,1]}}"#
        );
        let resume = r#"{"op":6,"d":{"token":"bare","session_id":"s","seq":3}}"#;
        assert_eq!(
            r.frame(resume, true),
            r#"{"op":6,"d":{"token":"***","session_id":"s","seq":3}}"#
        );
        // A `token` inside a dispatch is data, not a credential.
        let dispatch = r#"{"op":0,"s":1,"t":"X","d":{"token":"data"}}"#;
        assert!(matches!(r.frame(dispatch, true), Cow::Borrowed(_)));
    }

    #[test]
    fn secrets_and_authorization_are_scrubbed_anywhere() {
        let r = redactor(false, false);
        let frame = r#"{"op":0,"s":1,"t":"X","d":{"note":"key s3cr3t-app-secret!","h":{"Authorization":"Bot xyz"},"q":"tok/en\"x"}}"#;
        let out = r.frame(frame, true);
        assert!(!out.contains("s3cr3t"), "{out}");
        assert!(!out.contains("xyz"), "{out}");
        assert!(!out.contains("tok/en"), "{out}");
        assert!(out.contains(r#""Authorization":"Bot ***""#), "{out}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap();
        // Invalid JSON: plain replacement.
        assert_eq!(r.frame("garbage s3cr3t-app-secret", false), "garbage ***");
        assert_eq!(r.text("url?k=s3cr3t-app-secret"), "url?k=***");
    }

    #[test]
    fn pseudonyms_keep_shape_and_are_consistent() {
        let p = Pseudonyms::new();
        let openid = "0BA13D42931777D3922F226B6B5D7F13";
        let a = p.pseudonym(openid);
        assert_eq!(a, p.pseudonym(openid));
        assert_ne!(a, openid);
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
            "{a}"
        );
        let guild = p.pseudonym("18700000000001");
        assert!(
            guild.len() >= 14 && guild.bytes().all(|b| b.is_ascii_digit()),
            "{guild}"
        );
        assert!(!guild.starts_with('0'));
        let short = p.pseudonym("1234");
        assert_eq!(short.len(), MIN_NUMERIC_LEN);
        assert_ne!(short, p.pseudonym("1235"));
        let uuid = p.pseudonym("3c1f0d2e-8a4b-4f7c-9e61-5b2d7a9c0e11");
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.matches('-').count(), 4);
        let msg = p.pseudonym("ROBOT1.0_yiT7pd.iSG1ugi2eJZLC-4hjLnBZ!");
        assert!(msg.starts_with("ROBOT1.0_") && msg.ends_with('!'), "{msg}");
        assert_eq!(msg.len(), "ROBOT1.0_yiT7pd.iSG1ugi2eJZLC-4hjLnBZ!".len());
        // A different key gives different pseudonyms.
        assert_ne!(Pseudonyms::new().pseudonym(openid), a);
        // Many distinct inputs: no collisions.
        let mut seen = std::collections::HashSet::new();
        for i in 0..2000u32 {
            assert!(seen.insert(p.pseudonym(&i.to_string())));
        }
    }

    #[test]
    fn ids_and_content_in_frames() {
        let r = redactor(true, false);
        let frame = r#"{"op":0,"s":3,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:3c1f0d2e-8a4b-4f7c-9e61-5b2d7a9c0e11","d":{"author":{"id":"1234","username":"abc"},"channel_id":"100010","content":"<@!1234> hi","emoji":{"id":"89"},"guild_id":"18700000000001","id":"3c1f0d2e-8a4b-4f7c-9e61-5b2d7a9c0e11"}}"#;
        let out = r.frame(frame, true);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let author = v["d"]["author"]["id"].as_str().unwrap();
        assert_ne!(author, "1234");
        assert_eq!(v["d"]["content"], format!("<@!{author}> hi"));
        assert_eq!(v["d"]["emoji"]["id"], "89");
        assert_eq!(v["s"], 3);
        assert_eq!(v["t"], "AT_MESSAGE_CREATE");
        let event_id = v["id"].as_str().unwrap();
        assert_eq!(
            event_id,
            format!("AT_MESSAGE_CREATE:{}", v["d"]["id"].as_str().unwrap())
        );
        assert!(
            !out.contains("18700000000001") && !out.contains("100010"),
            "{out}"
        );

        let r = redactor(false, true);
        let out = r.frame(frame, true);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["d"]["content"], "");
        assert_eq!(v["d"]["author"]["id"], "1234");
    }

    #[test]
    fn mentions_leave_other_angle_brackets_alone() {
        let p = Pseudonyms::new();
        let out = p.mentions("a <b> <@x> <@!12> <#34> <@56").unwrap();
        assert!(out.starts_with("a <b> <@x> <@!"), "{out}");
        assert!(out.ends_with("> <@56"), "{out}");
        assert!(!out.contains("<@!12>") && !out.contains("<#34>"), "{out}");
        assert_eq!(p.mentions("no mentions"), None);
    }

    #[test]
    fn mask_keeps_scheme() {
        assert_eq!(mask_token("QQBot abc"), "QQBot ***");
        assert_eq!(mask_token("abc"), "***");
        assert_eq!(mask_token(" abc"), "***");
    }
}
