//! Lenient field deserialisers: the platform's documented and real shapes disagree (PROTOCOL.md §7),
//! so a field accepts every shape seen and `null` is read as "absent".

use serde::de::{Deserialize, Deserializer, Error as _};
use serde_json::Value;

/// A string id: accepts a string, a number (ids arrive as ints from some SDK fixtures), a bool, or
/// `null` / absent (empty string).
pub(crate) fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(D::Error::custom(format!(
            "expected a string or a number, found {}",
            kind(&other)
        ))),
    }
}

/// Like [`string`], but an absent, `null` or empty value is `None`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let s = string(deserializer)?;
    Ok(if s.is_empty() { None } else { Some(s) })
}

/// An integer sent as a number or as a numeric string; `null`, absent or `""` is `None`.
pub(crate) fn opt_int<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
{
    let text = match Value::deserialize(deserializer)? {
        Value::Null => return Ok(None),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().to_owned(),
        other => {
            return Err(D::Error::custom(format!(
                "expected an integer, found {}",
                kind(&other)
            )));
        }
    };
    text.parse::<T>()
        .map(Some)
        .map_err(|_| D::Error::custom(format!("expected an integer, found {text:?}")))
}

/// A flag sent as a bool, 0/1, or "true"/"false"; `null` or absent is `false`.
pub(crate) fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(b),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|v| v != 0.0)),
        Value::String(s) => match s.trim() {
            "true" | "1" => Ok(true),
            "false" | "0" | "" => Ok(false),
            other => Err(D::Error::custom(format!(
                "expected a bool, found {other:?}"
            ))),
        },
        other => Err(D::Error::custom(format!(
            "expected a bool, found {}",
            kind(&other)
        ))),
    }
}

/// Any defaultable value where `null` means "absent" (lists, nested objects).
pub(crate) fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
