//! NDJSON lines: one object per item. Dispatch `d` is copied byte-exact from the frame.
//!
//! Every line starts with `kind`, `received_at` (RFC 3339, UTC, milliseconds) and `shard`
//! (`[id, count]`). The schema is committed as `schema/listen.v1.json`.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

use std::time::Duration;

use super::json_fields::{
    LifecycleStyle, field_num, field_opt_num, field_opt_str, field_str, lifecycle_fields,
};
use crate::gateway::{GatewayItem, ItemKind, ShardId};

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// Append `n` in decimal.
fn push_u64(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Byte by byte: ASCII digits need no UTF-8 check (shard numbers are one digit).
    for &digit in &buf[i..] {
        out.push(char::from(digit));
    }
}

/// `2026-11-27T09:40:00.123Z`, what `to_rfc3339_opts(SecondsFormat::Millis, true)` writes, without
/// its formatting machinery (this runs once per printed event).
fn push_rfc3339_millis(out: &mut String, at: &DateTime<Utc>) {
    // The items of a burst share one timestamp, and a busy stream has many per millisecond:
    // the last text written is reused for the same millisecond.
    type Written = (chrono::NaiveDate, u32, u32, [u8; 24]);
    thread_local! {
        static LAST: std::cell::Cell<Option<Written>> = const { std::cell::Cell::new(None) };
    }
    let key = (
        at.date_naive(),
        at.num_seconds_from_midnight(),
        at.nanosecond() / 1_000_000,
    );
    if let Some((date, secs, millis, text)) = LAST.get()
        && (date, secs, millis) == key
    {
        out.push_str(std::str::from_utf8(&text).expect("ASCII"));
        return;
    }
    let year = at.year();
    if !(0..=9999).contains(&year) {
        out.push_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true));
        return;
    }
    // A leap second shows as nanoseconds >= 1e9; chrono prints it as second 60.
    let nanos = at.nanosecond();
    let (second, millis) = if nanos >= 1_000_000_000 {
        (at.second() + 1, (nanos - 1_000_000_000) / 1_000_000)
    } else {
        (at.second(), nanos / 1_000_000)
    };
    let mut b = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for k in (0..width).rev() {
            b[at + k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, at.month());
    put(8, 2, at.day());
    put(11, 2, at.hour());
    put(14, 2, at.minute());
    put(17, 2, second);
    put(20, 3, millis);
    out.push_str(std::str::from_utf8(&b).expect("ASCII"));
    LAST.set(Some((key.0, key.1, key.2, b)));
}

/// How NDJSON writes lifecycle fields: milliseconds (fractional for round trips and recovery
/// times), text as it is, and each close code's meaning.
struct Ndjson;

impl LifecycleStyle for Ndjson {
    fn duration(&self, out: &mut String, base: &str, d: Option<Duration>, fractional: bool) {
        let key = format!("{base}_ms");
        match d {
            Some(d) if fractional => field_num(out, &key, ms(d)),
            Some(d) => field_num(out, &key, d.as_millis()),
            None => field_opt_num(out, &key, None::<u64>),
        }
    }

    fn explains(&self) -> bool {
        true
    }
}

/// Append one NDJSON line (with the trailing newline) for `item` to `out`.
pub fn write_line(out: &mut String, item: &GatewayItem) {
    if let ItemKind::Dispatch(d) = &item.kind {
        return write_dispatch(
            out,
            &DispatchLine {
                received_at: &item.received_at,
                shard: item.shard,
                seq: d.seq,
                t: &d.t,
                id: d.id(),
                d: d.d(),
            },
        );
    }
    push_head(out, item.kind.key(), &item.received_at, item.shard);
    lifecycle_fields(out, &item.kind, &Ndjson);
    out.push_str("}\n");
}

/// The parts of a dispatch's NDJSON line, borrowed from wherever they are (an item, or a
/// recording's line that was never made into one).
#[derive(Debug, Clone, Copy)]
pub struct DispatchLine<'a> {
    /// When it was received.
    pub received_at: &'a DateTime<Utc>,
    /// The shard it came from.
    pub shard: ShardId,
    /// `s`.
    pub seq: Option<u64>,
    /// `t` (empty when the frame had none).
    pub t: &'a str,
    /// `id`.
    pub id: Option<&'a str>,
    /// `d`, byte-exact (`null` when absent).
    pub d: &'a str,
}

/// Append the NDJSON line of a dispatch (with the trailing newline): exactly what
/// [`write_line`] writes for the same dispatch as an item.
pub fn write_dispatch(out: &mut String, line: &DispatchLine<'_>) {
    push_head(out, "dispatch", line.received_at, line.shard);
    match line.seq {
        Some(seq) => {
            out.push_str(",\"s\":");
            push_u64(out, seq);
        }
        None => out.push_str(",\"s\":null"),
    }
    field_str(out, "t", line.t);
    field_opt_str(out, "id", line.id);
    out.push_str(",\"d\":");
    out.push_str(line.d);
    out.push_str("}\n");
}

/// `{"kind":…,"received_at":…,"shard":[i,n]`, the start of every line.
fn push_head(out: &mut String, key: &str, received_at: &DateTime<Utc>, shard: ShardId) {
    out.push_str("{\"kind\":\"");
    out.push_str(key);
    out.push_str("\",\"received_at\":\"");
    push_rfc3339_millis(out, received_at);
    out.push_str("\",\"shard\":[");
    push_u64(out, u64::from(shard.id));
    out.push(',');
    push_u64(out, u64::from(shard.count));
    out.push(']');
}

/// One NDJSON line for `item`.
pub fn line(item: &GatewayItem) -> String {
    let mut out = String::with_capacity(256);
    write_line(&mut out, item);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;
    use crate::gateway::{CloseOrigin, Dispatch, ShardId};
    use crate::protocol::{CloseAction, Envelope};

    fn at() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 9, 40, 0)
            .unwrap()
    }

    #[test]
    fn dispatch_line_keeps_d_byte_exact() {
        let frame = r#"{"op":0,"s":7,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:1","d":{"content":"a  \"b\" 文","x": [1,2]}}"#;
        let env = Envelope::peek(frame).unwrap();
        let d = env.d.unwrap().get();
        let start = d.as_ptr() as usize - frame.as_ptr() as usize;
        let item = GatewayItem {
            shard: ShardId { id: 1, count: 2 },
            received_at: at(),
            kind: ItemKind::Dispatch(Dispatch::new(
                Some(7),
                "AT_MESSAGE_CREATE".into(),
                Some("AT_MESSAGE_CREATE:1"),
                Arc::from(frame),
                start..start + d.len(),
            )),
        };
        let text = line(&item);
        assert_eq!(
            text,
            "{\"kind\":\"dispatch\",\"received_at\":\"2026-11-27T09:40:00.000Z\",\"shard\":[1,2],\"s\":7,\"t\":\"AT_MESSAGE_CREATE\",\"id\":\"AT_MESSAGE_CREATE:1\",\"d\":{\"content\":\"a  \\\"b\\\" 文\",\"x\": [1,2]}}\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["d"]["x"][1], 2);
    }

    /// `d` with the platform's escapes (and ones serde keeps raw, like a lone surrogate) is copied
    /// byte-exact, through the fast peek.
    #[test]
    fn escaped_d_is_copied_byte_exact() {
        let d = r#"{"avatar":"https://thirdqq.qlogo.cn/g?b=oidb\u0026k=x\u0026s=0","content":"\u003c@!1\u003e \"q\" \\ \/ \ud83d\ude00 \ud800\n"}"#;
        let frame = format!(
            r#"{{"op":0,"s":7,"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:1","d":{d}}}"#
        );
        let peeked = crate::protocol::fastpeek::peek(&frame, &mut Default::default()).unwrap();
        let item = GatewayItem {
            shard: ShardId::ONE,
            received_at: at(),
            kind: ItemKind::Dispatch(Dispatch::from_peeked(
                peeked,
                || "AT_MESSAGE_CREATE".into(),
                Arc::from(frame.as_str()),
            )),
        };
        let text = line(&item);
        assert!(text.ends_with(&format!(",\"d\":{d}}}\n")), "{text}");
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_does() {
        for value in [
            "AT_MESSAGE_CREATE",
            "文字 and /slashes/",
            "del \u{7f} line separator \u{2028} emoji 🦀",
            "quote \" backslash \\ tab \t nl \n nul \u{0} del \u{7f} sep \u{2028}",
            // What the platform escapes, decoded (serde_json writes these as they are).
            "https://thirdqq.qlogo.cn/g?b=oidb&k=IU4J&s=0 <@!1> a>b",
            "emoji \u{1f600} bs \\u0026 \u{8}\u{c}\r\u{1f}",
            r"\u0026\ud800",
            "",
        ] {
            let mut out = String::new();
            crate::output::json_fields::json_str(&mut out, value);
            assert_eq!(out, serde_json::to_string(value).unwrap(), "{value:?}");
        }
    }

    #[test]
    fn timestamps_match_chrono() {
        use chrono::TimeZone;
        let cases = [
            Utc.with_ymd_and_hms(2026, 11, 27, 9, 40, 0).unwrap(),
            Utc.with_ymd_and_hms(1999, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::milliseconds(7),
            Utc.with_ymd_and_hms(2030, 12, 31, 23, 59, 59).unwrap()
                + chrono::Duration::nanoseconds(999_999_999),
            Utc.with_ymd_and_hms(12345, 1, 1, 0, 0, 0).unwrap(),
            chrono::Utc::now(),
        ];
        // Each case twice (the second from the one-entry cache), and neighbours that share all
        // but one field, so that a stale cache entry would show.
        let base = Utc.with_ymd_and_hms(2026, 11, 27, 9, 40, 0).unwrap();
        let neighbours = [
            base + chrono::Duration::microseconds(400),
            base + chrono::Duration::milliseconds(1),
            base + chrono::Duration::seconds(1),
            base + chrono::Duration::days(1),
            base + chrono::Duration::days(1) + chrono::Duration::milliseconds(1),
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
                .unwrap()
                .and_utc(),
        ];
        for at in cases.iter().chain(&neighbours).flat_map(|at| [at, at]) {
            let mut out = String::new();
            push_rfc3339_millis(&mut out, at);
            assert_eq!(out, at.to_rfc3339_opts(SecondsFormat::Millis, true));
        }
        let mut out = String::new();
        for n in [0u64, 7, 10, 4_000_000_000, u64::MAX] {
            out.clear();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn lifecycle_lines_are_valid_json() {
        let kinds = [
            ItemKind::Closed {
                code: Some(4009),
                reason: "Session timed out".into(),
                origin: CloseOrigin::Server,
                action: CloseAction::Resume,
                cause: crate::gateway::Cause::Closed {
                    code: Some(4009),
                    reason: "Session timed out".into(),
                },
            },
            ItemKind::HeartbeatAck {
                rtt: Duration::from_micros(1500),
            },
            ItemKind::Fatal {
                reason: "bot banned".into(),
                hint: None,
                code: Some(4915),
                cause: crate::gateway::FatalCause::CloseCode(4915),
            },
            ItemKind::ReconnectRequested,
        ];
        for kind in kinds {
            let item = GatewayItem {
                shard: ShardId::ONE,
                received_at: at(),
                kind,
            };
            let text = line(&item);
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["kind"], item.kind.key());
            assert_eq!(v["shard"], serde_json::json!([0, 1]));
        }
        let close = line(&GatewayItem {
            shard: ShardId::ONE,
            received_at: at(),
            kind: ItemKind::Closed {
                code: Some(4009),
                reason: "Session timed out".into(),
                origin: CloseOrigin::Server,
                action: CloseAction::Resume,
                cause: crate::gateway::Cause::Closed {
                    code: Some(4009),
                    reason: "Session timed out".into(),
                },
            },
        });
        assert!(close.contains(r#""action":"resume""#), "{close}");
    }
}
