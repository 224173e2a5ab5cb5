//! JSON as the platform writes it: its encoder (Go's `encoding/json`) escapes `<`, `>` and `&`
//! inside strings as `\u003c`, `\u003e` and `\u0026`, and U+2028/U+2029 as `\u2028`/`\u2029`.
//! Published captures of real gateway frames show it (`"content":"\u003c@!…\u003e /ping"`, avatar
//! URLs with `\u0026`), so every guild message a bot receives has such escapes, and a parser that
//! mishandles them fails on the real platform. The emulator's dispatches (gateway and webhook)
//! are written this way; recorded frames it replays keep their bytes.

use std::io;

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{Formatter, Serializer};

/// `value` as compact JSON with the platform's escapes.
pub(crate) fn platform_json(value: &Value) -> String {
    let mut out = Vec::with_capacity(256);
    let mut ser = Serializer::with_formatter(&mut out, PlatformFormatter);
    value
        .serialize(&mut ser)
        .expect("a JSON value serialises into memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// serde_json's compact output (the trait's defaults) plus the escapes of Go's `encoding/json`.
/// serde_json escapes `"`, `\` and control characters itself and hands the rest over as
/// fragments.
struct PlatformFormatter;

impl Formatter for PlatformFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escape = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escape.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_what_the_platform_escapes_and_decodes_to_the_same_value() {
        let value = json!({
            "content": "<@!6158788878435714165> 1 &lt; 2 && 3 > 2",
            "avatar": "https://thirdqq.qlogo.cn/g?b=oidb&k=abc&s=0",
            "quote\"and\\": "line\nbreak \u{2028}\u{2029} 文字 😀",
            "n": [1, -2.5, true, null],
            "<key>": {}
        });
        let text = platform_json(&value);
        assert!(
            text.contains(r#""content":"\u003c@!6158788878435714165\u003e 1 \u0026lt; 2 \u0026\u0026 3 \u003e 2""#),
            "{text}"
        );
        assert!(
            text.contains(r#""avatar":"https://thirdqq.qlogo.cn/g?b=oidb\u0026k=abc\u0026s=0""#),
            "{text}"
        );
        assert!(text.contains(r#""\u003ckey\u003e":{}"#), "{text}");
        assert!(
            text.contains(r#""quote\"and\\":"line\nbreak \u2028\u2029 文字 😀""#),
            "{text}"
        );
        for raw in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
            assert!(!text.contains(raw), "{raw:?} left unescaped in {text}");
        }
        let back: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, value);
        // Compact, as serde_json writes it.
        assert_eq!(platform_json(&json!({"a": [1, 2]})), r#"{"a":[1,2]}"#);
    }
}
