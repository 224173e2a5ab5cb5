//! The recording format's vocabulary: header, direction, version rules and timestamps.
//!
//! See `FORMAT.md` beside this file for the line layout.

use chrono::{DateTime, NaiveDate, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::error::RecordError;

/// Value of the header's `format` key.
pub const FORMAT_NAME: &str = "qqbot-recording";
/// The version this qqbot writes.
pub const FORMAT_VERSION: &str = "1.0";
/// The major version this qqbot reads (any minor).
pub const FORMAT_MAJOR: u32 = 1;

/// Line 1 of a recording. Never holds a secret or a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// `MAJOR.MINOR`; a reader refuses a newer major and accepts any minor.
    pub version: String,
    /// Version of the qqbot that wrote the file.
    #[serde(default)]
    pub qqbot_version: String,
    /// Wall-clock start of the recording (RFC 3339).
    #[serde(with = "rfc3339")]
    pub started_at: DateTime<Utc>,
    /// Gateway host the frames came from.
    #[serde(default)]
    pub gateway: String,
    /// Whether the sandbox environment was used.
    #[serde(default)]
    pub sandbox: bool,
    /// Intents sent in Identify.
    #[serde(default)]
    pub intents: u64,
    /// Number of shards in the cluster.
    #[serde(default = "one")]
    pub shards: u32,
    /// The bot's app id (public, not a secret).
    #[serde(default)]
    pub app_id: String,
    /// What was redacted. The writer fills this in from its [`Redaction`](super::Redaction).
    #[serde(default)]
    pub redaction: RedactionInfo,
}

fn one() -> u32 {
    1
}

impl Header {
    /// A header for this qqbot version starting at `started_at`; other fields empty.
    pub fn new(started_at: DateTime<Utc>) -> Header {
        Header {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION.to_owned(),
            qqbot_version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at,
            gateway: String::new(),
            sandbox: false,
            intents: 0,
            shards: 1,
            app_id: String::new(),
            redaction: RedactionInfo::default(),
        }
    }

    /// Parse line 1: checks `format` and the major version before anything else.
    pub(crate) fn parse(line: &str) -> Result<Header, RecordError> {
        #[derive(Deserialize)]
        struct Probe {
            format: Option<String>,
            version: Option<String>,
        }
        let probe: Probe =
            serde_json::from_str(line).map_err(|e| RecordError::not_a_recording(e.to_string()))?;
        if probe.format.as_deref() != Some(FORMAT_NAME) {
            return Err(RecordError::not_a_recording(format!(
                "line 1 has no \"format\":\"{FORMAT_NAME}\""
            )));
        }
        let version = probe.version.unwrap_or_default();
        check_version(&version)?;
        serde_json::from_str(line).map_err(|e| RecordError::not_a_recording(e.to_string()))
    }
}

/// The header's `redaction` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionInfo {
    /// Identify/Resume tokens, `Authorization` values and the given secrets (always on).
    #[serde(default)]
    pub tokens: bool,
    /// Ids replaced by pseudonyms (`--redact-ids`).
    #[serde(default)]
    pub ids: bool,
    /// Message `content` blanked (`--redact-content`).
    #[serde(default)]
    pub content: bool,
    /// Usernames, nicknames and avatar URLs pseudonymised (`--redact-names`, implied by
    /// `--redact-ids`); written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub names: bool,
}

impl Default for RedactionInfo {
    fn default() -> Self {
        RedactionInfo {
            tokens: true,
            ids: false,
            content: false,
            names: false,
        }
    }
}

/// Accept `1.x`; refuse a newer major with an upgrade hint, and anything unparsable.
pub(crate) fn check_version(version: &str) -> Result<(), RecordError> {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .filter(|_| {
            version
                .split_once('.')
                .is_some_and(|(_, minor)| minor.parse::<u32>().is_ok())
        });
    match major {
        Some(FORMAT_MAJOR) => Ok(()),
        Some(m) if m > FORMAT_MAJOR => Err(RecordError::NewerVersion {
            found: version.to_owned(),
        }),
        _ => Err(RecordError::UnsupportedVersion {
            found: version.to_owned(),
        }),
    }
}

/// Direction of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Received from the gateway.
    Rx,
    /// Sent by qqbot.
    Tx,
}

impl Dir {
    /// `"rx"` or `"tx"`.
    pub const fn key(self) -> &'static str {
        match self {
            Dir::Rx => "rx",
            Dir::Tx => "tx",
        }
    }

    pub(crate) fn from_key(key: &str) -> Option<Dir> {
        match key {
            "rx" => Some(Dir::Rx),
            "tx" => Some(Dir::Tx),
            _ => None,
        }
    }
}

/// Format a wall time as written in `at`: RFC 3339, UTC, as many fraction digits as needed (0, 3,
/// 6 or 9), so the exact instant round-trips.
pub(crate) fn format_at(out: &mut String, at: &DateTime<Utc>) {
    out.push_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
}

/// Parse `at`. Fast path for `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` (what the writer produces), chrono
/// for everything else RFC 3339 allows.
pub(crate) fn parse_at(text: &str) -> Option<DateTime<Utc>> {
    fast_parse_at(text.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn fast_parse_at(b: &[u8]) -> Option<DateTime<Utc>> {
    let (second, nanos) = fast_parse_parts(b)?;
    second.with_nanosecond(nanos)
}

/// The fraction part of `at` after the seconds (`""` or `.f{1,9}`), in nanoseconds.
fn fraction(frac: &[u8]) -> Option<u32> {
    match frac {
        [] => Some(0),
        [b'.', rest @ ..] if (1..=9).contains(&rest.len()) => {
            Some(digits(rest)? * 10u32.pow(9 - rest.len() as u32))
        }
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` as its whole second and nanoseconds.
fn fast_parse_parts(b: &[u8]) -> Option<(DateTime<Utc>, u32)> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || *b.last()? != b'Z'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(&b[0..4])?).ok()?,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )?;
    let (h, m, s) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let nanos = fraction(&b[19..b.len() - 1])?;
    // Leap seconds (s == 60) go through chrono's own parser.
    if s > 59 {
        return None;
    }
    Some((date.and_hms_opt(h, m, s)?.and_utc(), nanos))
}

/// [`parse_at`] that remembers the last whole second it parsed: lines within the same second
/// (most lines of a busy recording) only parse their fraction.
#[derive(Debug, Default)]
pub(crate) struct AtCache {
    second_text: [u8; 19],
    second: Option<DateTime<Utc>>,
}

impl AtCache {
    pub(crate) fn parse(&mut self, text: &str) -> Option<DateTime<Utc>> {
        let b = text.as_bytes();
        if let Some(second) = self.second
            && b.len() >= 20
            && b[..19] == self.second_text
            && b[b.len() - 1] == b'Z'
            && let Some(nanos) = fraction(&b[19..b.len() - 1])
        {
            return second.with_nanosecond(nanos);
        }
        match fast_parse_parts(b) {
            Some((second, nanos)) => {
                self.second_text.copy_from_slice(&b[..19]);
                self.second = Some(second);
                second.with_nanosecond(nanos)
            }
            None => parse_at(text),
        }
    }
}

mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        super::parse_at(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid RFC 3339 time `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn the_second_cache_parses_what_parse_at_parses() {
        let mut cache = super::AtCache::default();
        for text in [
            "2026-11-27T09:40:00Z",
            "2026-11-27T09:40:00.5Z",
            "2026-11-27T09:40:00.123456789Z",
            "2026-11-27T09:40:00.1234567890Z",
            "2026-11-27T09:40:00,5Z",
            "2026-11-27T09:40:01.25Z",
            "2026-11-27T09:40:01Z",
            "2026-11-27T17:40:01.25+08:00",
            "2026-11-27T09:40:01.75Z",
            "2016-12-31T23:59:60.5Z",
            "2026-11-27T09:40:01.",
            "soon",
        ] {
            assert_eq!(cache.parse(text), super::parse_at(text), "{text}");
        }
    }

    use super::*;

    #[test]
    fn versions() {
        assert!(check_version("1.0").is_ok());
        assert!(check_version("1.7").is_ok());
        let err = check_version("2.0").unwrap_err().to_string();
        assert_eq!(
            err,
            "recording format 2.0 is newer than this qqbot understands (1.x); upgrade qqbot"
        );
        for bad in ["0.9", "", "one", "1", "1.x"] {
            assert!(
                matches!(
                    check_version(bad),
                    Err(RecordError::UnsupportedVersion { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn at_round_trips_exactly() {
        let base = Utc.with_ymd_and_hms(2026, 11, 27, 9, 40, 0).unwrap();
        for nanos in [0, 123_000_000, 123_456_000, 123_456_789, 1] {
            let at = base + chrono::Duration::nanoseconds(nanos);
            let mut text = String::new();
            format_at(&mut text, &at);
            assert_eq!(fast_parse_at(text.as_bytes()), Some(at), "{text}");
            assert_eq!(parse_at(&text), Some(at), "{text}");
        }
        // Offsets other than Z go through chrono.
        assert_eq!(parse_at("2026-11-27T17:40:00+08:00"), Some(base));
        assert_eq!(
            parse_at("2026-11-27T09:40:00.5Z"),
            Some(base + chrono::Duration::milliseconds(500))
        );
        for bad in [
            "",
            "2026-13-27T09:40:00Z",
            "2026-11-27T09:40:00.Z",
            "yesterday",
        ] {
            assert_eq!(parse_at(bad), None, "{bad}");
        }
    }
}
