//! One timestamp type for the two shapes the platform uses: RFC 3339 strings
//! (`"2021-05-20T15:14:58+08:00"`, messages) and unix seconds (`1699240248`, group/friend events;
//! `"1642545606"` in `create_time`).

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Integers above this are read as milliseconds rather than seconds (10^11 s is the year 5138).
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// A point in time, from an RFC 3339 string or an integer (unix seconds, as a number or a numeric
/// string). Integers larger than 10^11 are taken as milliseconds.
///
/// Equality compares instants, so `"2023-11-06T13:37:18+08:00"` equals `1699249038`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(DateTime<FixedOffset>);

impl Timestamp {
    /// From unix seconds (UTC offset). `None` if out of range.
    pub fn from_unix(secs: i64) -> Option<Timestamp> {
        let at = if secs.unsigned_abs() > MILLIS_THRESHOLD as u64 {
            DateTime::from_timestamp_millis(secs)?
        } else {
            DateTime::from_timestamp(secs, 0)?
        };
        Some(Timestamp(at.fixed_offset()))
    }

    /// Parse an RFC 3339 string or an integer string. `None` if it is neither.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Some(Timestamp(at));
        }
        text.parse::<i64>().ok().and_then(Timestamp::from_unix)
    }

    /// The time with the offset it was sent with (UTC for integers).
    pub fn as_datetime(&self) -> DateTime<FixedOffset> {
        self.0
    }

    /// The time in UTC.
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    /// Unix seconds.
    pub fn unix(&self) -> i64 {
        self.0.timestamp()
    }
}

impl From<DateTime<FixedOffset>> for Timestamp {
    fn from(at: DateTime<FixedOffset>) -> Self {
        Timestamp(at)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Timestamp(at.fixed_offset())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
    }
}

impl Serialize for Timestamp {
    /// Always as an RFC 3339 string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// Strict: an RFC 3339 string, an integer, or an integer string.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Timestamp::parse(&s)
                .ok_or_else(|| D::Error::custom(format!("not a timestamp: {s:?}"))),
            Value::Number(n) => n
                .as_i64()
                .and_then(Timestamp::from_unix)
                .ok_or_else(|| D::Error::custom(format!("not a timestamp: {n}"))),
            other => Err(D::Error::custom(format!("not a timestamp: {other}"))),
        }
    }
}

/// Lenient field form: absent, `null`, `""` and unparseable values are `None`
/// (a bad timestamp never makes a whole event unreadable).
pub(crate) fn lenient<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Timestamp>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Timestamp::parse(&s),
        Value::Number(n) => n.as_i64().and_then(Timestamp::from_unix),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_and_integer_forms_agree() {
        let a = Timestamp::parse("2023-11-06T13:37:18+08:00").unwrap();
        let b = Timestamp::from_unix(1_699_249_038).unwrap();
        assert_eq!(a, b);
        assert_eq!(Timestamp::parse("1699249038"), Some(b));
        assert_eq!(a.to_string(), "2023-11-06T13:37:18+08:00");
        assert_eq!(b.unix(), 1_699_249_038);
    }

    #[test]
    fn large_integers_are_milliseconds() {
        let ms = Timestamp::from_unix(1_699_249_038_000).unwrap();
        assert_eq!(ms.unix(), 1_699_249_038);
    }

    #[test]
    fn garbage_is_rejected_by_strict_form() {
        assert!(Timestamp::parse("yesterday").is_none());
        assert!(serde_json::from_str::<Timestamp>("true").is_err());
        assert!(serde_json::from_str::<Timestamp>("\"2021-05-20\"").is_err());
    }
}
