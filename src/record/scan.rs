//! Rewrite selected string values inside valid JSON text, keeping every other byte as it was.
//!
//! Redaction uses this so that a redacted frame differs from the original only inside the strings
//! it replaced (same key order, whitespace and number spelling).

use std::borrow::Cow;

/// Where a string sits: the object keys from the root down (array levels add nothing), and
/// whether the string is itself a key.
pub(crate) struct Site<'p> {
    /// Keys from the root; for a value, the last one is its own key.
    pub path: &'p [&'p str],
    /// The string is an object key, not a value.
    pub is_key: bool,
}

struct Level<'a> {
    is_object: bool,
    /// The key of the member being read (objects only).
    key: Option<Cow<'a, str>>,
    /// Next string in this object is a key.
    expect_key: bool,
}

/// Decode the raw text between two quotes.
fn decode(raw: &str) -> Option<Cow<'_, str>> {
    if raw.contains('\\') {
        let quoted = format!("\"{raw}\"");
        serde_json::from_str::<String>(&quoted).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(raw))
    }
}

/// Index of the closing quote of the string whose body starts at `from`. Escapes (the platform's
/// `\u0026` in every avatar URL among them) are stepped over, the rest found 16 bytes at a time.
fn string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        i = crate::jsonscan::next_special(bytes, i);
        match bytes.get(i)? {
            b'"' => return Some(i),
            b'\\' => i += 2,
            // A control character: not valid JSON, but callers have checked; step over it.
            _ => i += 1,
        }
    }
}

/// Call `visit` for every string (keys and values) in `json`; where it returns a replacement,
/// the string is replaced by the JSON encoding of that text. `json` must be valid JSON (callers
/// check first); on malformed input the text is returned unchanged (`None`).
pub(crate) fn rewrite_strings<'a>(
    json: &'a str,
    mut visit: impl FnMut(&Site<'_>, &str) -> Option<String>,
) -> Option<Cow<'a, str>> {
    let bytes = json.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `json` already represented in `out`
    let mut stack: Vec<Level<'a>> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                stack.push(Level {
                    is_object: bytes[i] == b'{',
                    key: None,
                    expect_key: bytes[i] == b'{',
                });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop()?;
                i += 1;
            }
            b',' => {
                if let Some(top) = stack.last_mut().filter(|l| l.is_object) {
                    top.expect_key = true;
                }
                i += 1;
            }
            b':' => {
                stack.last_mut()?.expect_key = false;
                i += 1;
            }
            b'"' => {
                let end = string_end(bytes, i + 1)?;
                let raw = &json[i + 1..end];
                let text = decode(raw)?;
                let is_key = stack.last().is_some_and(|l| l.is_object && l.expect_key);
                let replacement = {
                    let mut path: Vec<&str> = stack
                        .iter()
                        .filter(|l| l.is_object)
                        .filter_map(|l| l.key.as_deref())
                        .collect();
                    if is_key && stack.last().is_some_and(|l| l.key.is_some()) {
                        // The top object's key belongs to the previous member.
                        path.pop();
                    }
                    visit(
                        &Site {
                            path: &path,
                            is_key,
                        },
                        &text,
                    )
                };
                if let Some(new) = replacement {
                    let buf = out.get_or_insert_with(|| String::with_capacity(json.len()));
                    buf.push_str(&json[copied..i]);
                    buf.push_str(&serde_json::to_string(&new).ok()?);
                    copied = end + 1;
                }
                if is_key {
                    let top = stack.last_mut()?;
                    top.key = Some(text);
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    match out {
        None => Some(Cow::Borrowed(json)),
        Some(mut buf) => {
            buf.push_str(&json[copied..]);
            Some(Cow::Owned(buf))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(json: &str) -> Vec<(String, bool, String)> {
        let mut seen = Vec::new();
        let out = rewrite_strings(json, |site, text| {
            seen.push((site.path.join("."), site.is_key, text.to_owned()));
            None
        })
        .unwrap();
        assert!(matches!(out, Cow::Borrowed(_)));
        seen
    }

    #[test]
    fn paths_follow_keys_through_arrays() {
        let seen =
            collect(r#"{"op":2,"d":{"token":"T","a":[{"id":"1"},"x"],"b":{"c":"y"}},"t":"E"}"#);
        let values: Vec<_> = seen
            .iter()
            .filter(|(_, k, _)| !k)
            .map(|(p, _, v)| format!("{p}={v}"))
            .collect();
        assert_eq!(values, ["d.token=T", "d.a.id=1", "d.a=x", "d.b.c=y", "t=E"]);
        let keys: Vec<_> = seen
            .iter()
            .filter(|(_, k, _)| *k)
            .map(|(p, _, v)| format!("{p}:{v}"))
            .collect();
        assert_eq!(
            keys,
            [
                ":op", ":d", "d:token", "d:a", "d.a:id", "d:b", "d.b:c", ":t"
            ]
        );
    }

    #[test]
    fn replaces_only_the_chosen_strings_byte_exact_elsewhere() {
        let json = "{ \"d\" : {\"content\": \"hi \\\"x\\\"\", \"n\": 1.50e3 ,\"k\":\"keep\"} }";
        let out = rewrite_strings(json, |site, _| {
            (site.path.last() == Some(&"content") && !site.is_key).then(|| "new \"q\"".to_owned())
        })
        .unwrap();
        assert_eq!(
            out,
            "{ \"d\" : {\"content\": \"new \\\"q\\\"\", \"n\": 1.50e3 ,\"k\":\"keep\"} }"
        );
    }

    #[test]
    fn escaped_keys_and_values_are_decoded() {
        let seen = collect(r#"{"to\u006ben":"a\nb"}"#);
        assert_eq!(seen[1], ("token".to_owned(), false, "a\nb".to_owned()));
    }

    #[test]
    fn platform_escapes_are_decoded_and_kept_byte_exact() {
        let json = r#"{"d":{"avatar":"https://q.cn/g?b=oidb\u0026k=x\u0026s=0","content":"\u003c@!1\u003e \"a\\\" \ud83d\ude00","token":"\u0054"}}"#;
        let seen = collect(json);
        let values: Vec<_> = seen.iter().filter(|(_, k, _)| !k).collect();
        assert_eq!(values[0].2, "https://q.cn/g?b=oidb&k=x&s=0");
        assert_eq!(values[1].2, "<@!1> \"a\\\" \u{1f600}");
        let out = rewrite_strings(json, |site, _| {
            (site.path.last() == Some(&"token") && !site.is_key).then(|| "[redacted]".to_owned())
        })
        .unwrap();
        assert_eq!(out, json.replace(r#""\u0054""#, r#""[redacted]""#));
    }

    #[test]
    fn malformed_input_is_none_not_a_panic() {
        for bad in [r#"{"a":"unterminated"#, "}", r#"{"a":"\"#] {
            assert!(
                rewrite_strings(bad, |_, _| Some(String::new())).is_none(),
                "{bad}"
            );
        }
    }
}
