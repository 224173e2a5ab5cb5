//! Recording library: writer → file → reader → items, redaction, tolerance, zstd, selection.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use qqbot::gateway::{CloseOrigin, Dispatch, GatewayItem, ItemKind, ShardId};
use qqbot::output::ndjson;
use qqbot::protocol::{CloseAction, Envelope};
use qqbot::record::{
    Dir, FORMAT_VERSION, Header, Record, RecordError, RecordReader, RecordWriter, Redaction,
    Replay, ReplayStats, Selection,
};
use qqbot::secret::Secret;

const SECRET: &str = "AppSecret-9f8e7d6c5b4a";
const TOKEN: &str = "AccessTok.eyJ0eXAiOiJKV1Qi";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 40, 0).unwrap()
}

fn at(ms: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::milliseconds(ms) + chrono::Duration::nanoseconds(123)
}

fn header() -> Header {
    let mut h = Header::new(t0());
    h.gateway = "api.sgroup.qq.com".into();
    h.intents = 1 << 30 | 1 << 25;
    h.app_id = "102000000".into();
    h
}

fn dispatch(shard: ShardId, ms: i64, frame: &str) -> GatewayItem {
    let env = Envelope::peek(frame).expect("test frames are envelopes");
    let d_range = env.d.map_or(0..0, |d| {
        let start = d.get().as_ptr() as usize - frame.as_ptr() as usize;
        start..start + d.get().len()
    });
    GatewayItem {
        shard,
        received_at: at(ms),
        kind: ItemKind::Dispatch(Dispatch::new(
            env.s,
            env.t.as_deref().unwrap_or("").into(),
            env.id.as_deref(),
            Arc::from(frame),
            d_range,
        )),
    }
}

fn life(ms: i64, kind: ItemKind) -> GatewayItem {
    GatewayItem {
        shard: ShardId::ONE,
        received_at: at(ms),
        kind,
    }
}

fn at_message(seq: u64, author: &str, content: &str) -> String {
    format!(
        r#"{{"op":0,"s":{seq},"t":"AT_MESSAGE_CREATE","id":"AT_MESSAGE_CREATE:3c1f0d2e-8a4b-4f7c-9e61-5b2d7a9c{seq:04}","d":{{"author":{{"avatar":"http://thirdqq.qlogo.cn/0","bot":false,"id":"{author}","username":"abc"}},"channel_id":"100010","content":"{content}","guild_id":"18700000000001","id":"08cac39bf6d0aaeccf4810bcaae7d80138024{seq:04}","member":{{"joined_at":"2021-04-12T16:34:42+08:00","roles":["1"]}},"seq":101,"seq_in_channel":"101","timestamp":"2021-05-20T15:14:58+08:00"}}}}"#
    )
}

fn group_message(seq: u64, openid: &str, content: &str) -> String {
    format!(
        r#"{{ "op": 0, "s": {seq}, "t": "GROUP_AT_MESSAGE_CREATE", "id": "GROUP_AT_MESSAGE_CREATE:yit7pdisg1ugi2ejzlc2ftxchdbcvuwyprx6jusrlcb3if{seq:04}", "d": {{ "id": "ROBOT1.0_yiT7pd.iSG1ugi2eJZLC-4hjLnBZ{seq:04}!", "content": "{content}", "timestamp": "2025-09-08T23:13:34+08:00", "author": {{ "id": "{openid}", "member_openid": "{openid}" }}, "group_openid": "82B3406CB35C23E1071C8D6EC61C6064", "message_scene": {{ "source": "default" }}, "message_type": 0 }} }}"#
    )
}

/// A session with every lifecycle kind, a reconnect and a resume.
fn session() -> Vec<GatewayItem> {
    let one = ShardId::ONE;
    vec![
        life(
            0,
            ItemKind::Connected {
                url: "wss://api.sgroup.qq.com/websocket".into(),
                attempt: 1,
            },
        ),
        life(
            5,
            ItemKind::Hello {
                heartbeat_interval: Duration::from_millis(41250),
            },
        ),
        life(6, ItemKind::Identifying { intents: 1 << 30 }),
        dispatch(
            one,
            40,
            r#"{"op":0,"s":1,"t":"READY","d":{"version":1,"session_id":"082ee18c-0be3-491b-9d8b-fbd95c51673a","user":{"id":"6158788878435714165","username":"bot","bot":true},"shard":[0,1]}}"#,
        ),
        life(
            41,
            ItemKind::Ready {
                session_id: "082ee18c-0be3-491b-9d8b-fbd95c51673a".into(),
                user_id: "6158788878435714165".into(),
                username: "bot".into(),
                version: Some(1),
            },
        ),
        dispatch(
            one,
            100,
            &at_message(2, "1234", "<@!6158788878435714165> /ping \\\"q\\\" 文"),
        ),
        dispatch(
            one,
            150,
            &group_message(3, "0BA13D42931777D3922F226B6B5D7F13", " lssv"),
        ),
        life(200, ItemKind::HeartbeatSent { seq: Some(3) }),
        life(
            230,
            ItemKind::HeartbeatAck {
                rtt: Duration::from_nanos(30_123_456),
            },
        ),
        life(300, ItemKind::ReconnectRequested),
        life(
            301,
            ItemKind::Closed {
                code: Some(4009),
                reason: "Session timed out".into(),
                origin: CloseOrigin::Server,
                action: CloseAction::Resume,
                cause: qqbot::gateway::Cause::Closed {
                    code: Some(4009),
                    reason: "Session timed out".into(),
                },
            },
        ),
        life(
            302,
            ItemKind::Backoff {
                delay: Duration::from_millis(1500),
                attempt: 1,
                resume: true,
            },
        ),
        life(
            1900,
            ItemKind::Connected {
                url: "wss://api.sgroup.qq.com/websocket".into(),
                attempt: 2,
            },
        ),
        life(
            1901,
            ItemKind::Resuming {
                session_id: "082ee18c-0be3-491b-9d8b-fbd95c51673a".into(),
                seq: Some(3),
            },
        ),
        dispatch(one, 1950, &at_message(4, "5678", "hello")),
        dispatch(one, 1960, r#"{"op":0,"s":5,"t":"RESUMED","d":""}"#),
        life(
            1961,
            ItemKind::Resumed {
                seq: Some(5),
                replayed: 1,
                recovered_in: Some(Duration::from_micros(1_659_001)),
            },
        ),
        life(1962, ItemKind::Gap { after: 3, next: 4 }),
        dispatch(
            ShardId { id: 1, count: 2 },
            2000,
            r#"{"d":{"b": [1, 2.50],  "a":"q\"uote"},"id":"X:1","t":"X","s":6,"op":0}"#,
        ),
        life(
            2100,
            ItemKind::InvalidSession {
                resumable: false,
                reason: "identify rejected".into(),
            },
        ),
        life(
            2101,
            ItemKind::Closed {
                code: None,
                reason: String::new(),
                origin: CloseOrigin::Client,
                action: CloseAction::Identify,
                cause: qqbot::gateway::Cause::InvalidSession { resumable: false },
            },
        ),
        life(2102, ItemKind::Lagged { dropped: 7 }),
        life(
            2103,
            ItemKind::Error {
                message: "bad frame: \"x\"".into(),
            },
        ),
        life(
            2104,
            ItemKind::Fatal {
                reason: "bot banned".into(),
                hint: Some("check the console".into()),
                code: Some(4915),
                cause: qqbot::gateway::FatalCause::CloseCode(4915),
            },
        ),
        life(
            2105,
            ItemKind::Fatal {
                reason: "gone".into(),
                hint: None,
                code: None,
                cause: qqbot::gateway::FatalCause::RetriesExhausted { attempts: 3 },
            },
        ),
    ]
}

/// What `listen` prints for these items.
fn ndjson_of<'a>(items: impl IntoIterator<Item = &'a GatewayItem>) -> String {
    let mut out = String::new();
    for item in items {
        ndjson::write_line(&mut out, item);
    }
    out
}

/// A writer clock the test moves by hand.
fn manual_clock() -> (Arc<AtomicU64>, qqbot::record::Clock) {
    let us = Arc::new(AtomicU64::new(0));
    let read = us.clone();
    (
        us,
        Box::new(move || Duration::from_micros(read.load(Ordering::SeqCst))),
    )
}

/// Record `items` into `path` (offset = the item's ms since t0), with Identify and Resume tx
/// frames carrying the access token.
fn record(path: &Path, items: &[GatewayItem], redaction: &Redaction) {
    let (clock_us, clock) = manual_clock();
    let mut w = RecordWriter::create(path, &header(), redaction)
        .unwrap()
        .with_clock(clock);
    for item in items {
        let ms = (item.received_at - t0()).num_milliseconds();
        clock_us.store(ms as u64 * 1000, Ordering::SeqCst);
        if let ItemKind::Identifying { intents } = item.kind {
            let identify = format!(
                r#"{{"op":2,"d":{{"token":"QQBot {TOKEN}","intents":{intents},"shard":[0,1],"properties":{{}}}}}}"#
            );
            w.write_frame(Dir::Tx, item.shard, &item.received_at, &identify)
                .unwrap();
        }
        if let ItemKind::Resuming { session_id, seq } = &item.kind {
            let resume = format!(
                r#"{{"op":6,"d":{{"token":"QQBot {TOKEN}","session_id":"{session_id}","seq":{}}}}}"#,
                seq.unwrap()
            );
            w.write_frame(Dir::Tx, item.shard, &item.received_at, &resume)
                .unwrap();
        }
        w.write_item(item).unwrap();
    }
    w.close().unwrap();
}

fn read_all(path: &Path) -> (RecordReader, Vec<Record>) {
    let mut reader = RecordReader::open(path).unwrap();
    let mut records = Vec::new();
    for _ in 0..10_000 {
        match reader.next_record().unwrap() {
            Some(r) => records.push(r),
            None => break,
        }
    }
    (reader, records)
}

fn replayed_ndjson(path: &Path, selection: Selection) -> String {
    let replay = Replay::new(RecordReader::open(path).unwrap(), selection);
    let items: Vec<GatewayItem> = replay.map(|r| r.unwrap().item).collect();
    ndjson_of(&items)
}

fn redaction() -> Redaction {
    Redaction::new([Secret::new(SECRET), Secret::new(TOKEN)])
}

#[test]
fn round_trip_prints_what_listen_printed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.ndjson");
    let items = session();
    record(&path, &items, &redaction());
    let replayed = replayed_ndjson(&path, Selection::everything());
    assert_eq!(replayed, ndjson_of(&items));
    // The default selection is dispatches only.
    let dispatches: Vec<_> = items
        .iter()
        .filter(|i| matches!(i.kind, ItemKind::Dispatch(_)))
        .collect();
    assert_eq!(
        replayed_ndjson(&path, Selection::default()),
        ndjson_of(dispatches)
    );
    let reader = RecordReader::open(&path).unwrap();
    assert_eq!(reader.header().version, FORMAT_VERSION);
    assert_eq!(reader.header().app_id, "102000000");
    assert!(reader.header().redaction.tokens);
}

#[test]
fn frames_are_stored_verbatim_and_tx_frames_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.ndjson");
    let items = session();
    record(&path, &items, &redaction());
    let text = std::fs::read_to_string(&path).unwrap();
    // d is embedded unescaped, byte for byte.
    assert!(
        text.contains(
            r#","frame":{"d":{"b": [1, 2.50],  "a":"q\"uote"},"id":"X:1","t":"X","s":6,"op":0}}"#
        ),
        "{text}"
    );
    let (reader, records) = read_all(&path);
    assert!(reader.warnings().is_empty());
    let tx: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Frame(f) if f.dir == Dir::Tx => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(tx.len(), 2, "identify and resume");
    assert_eq!(tx[0].envelope.as_ref().unwrap().op, 2);
    assert!(
        tx[0].text.contains(r#""token":"QQBot ***""#),
        "{}",
        tx[0].text
    );
    assert_eq!(tx[1].envelope.as_ref().unwrap().op, 6);
    assert!(
        tx[1].text.contains(r#""token":"QQBot ***""#),
        "{}",
        tx[1].text
    );
    // Offsets come from the writer's clock, in µs.
    assert_eq!(
        records.last().unwrap().offset(),
        Duration::from_millis(2105)
    );
}

#[test]
fn secret_and_access_token_appear_nowhere_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["s.ndjson", "s.ndjson.zst"] {
        let path = dir.path().join(name);
        let mut items = session();
        items.push(life(
            3000,
            ItemKind::Error {
                message: format!("token request with secret {SECRET} failed"),
            },
        ));
        items.push(life(
            3001,
            ItemKind::Connected {
                url: format!("wss://h/ws?access_token={TOKEN}"),
                attempt: 3,
            },
        ));
        items.push(dispatch(ShardId::ONE, 3002, &format!(r#"{{"op":0,"s":9,"t":"X","d":{{"echo":"{SECRET}","headers":{{"authorization":"QQBot {TOKEN}"}}}}}}"#)));
        record(&path, &items, &redaction());
        // Look at the decompressed text for .zst, the raw bytes otherwise.
        let bytes = if name.ends_with(".zst") {
            zstd::decode_all(std::fs::File::open(&path).unwrap()).unwrap()
        } else {
            std::fs::read(&path).unwrap()
        };
        let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(!contains(SECRET), "{name}: secret leaked");
        assert!(!contains(TOKEN), "{name}: access token leaked");
        assert!(!contains("AccessTok"), "{name}: token prefix leaked");
        assert!(
            contains("QQBot ***"),
            "{name}: tokens are masked, not dropped"
        );
        // Still a valid recording.
        let (reader, records) = read_all(&path);
        assert!(reader.warnings().is_empty());
        assert_eq!(records.len(), items.len() + 2);
    }
}

fn d_of(record: &Record) -> Option<serde_json::Value> {
    match record {
        Record::Frame(f) if f.dir == Dir::Rx => serde_json::from_str(&f.text).ok(),
        _ => None,
    }
}

#[test]
fn redact_ids_is_consistent_and_keeps_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ids.ndjson");
    let one = ShardId::ONE;
    let items = vec![
        dispatch(
            one,
            0,
            r#"{"op":0,"s":1,"t":"READY","d":{"version":1,"session_id":"s","user":{"id":"6158788878435714165","username":"bot","bot":true},"shard":[0,1]}}"#,
        ),
        life(
            1,
            ItemKind::Ready {
                session_id: "s".into(),
                user_id: "6158788878435714165".into(),
                username: "bot".into(),
                version: Some(1),
            },
        ),
        dispatch(
            one,
            10,
            &at_message(2, "1234", "<@!6158788878435714165> hi"),
        ),
        dispatch(one, 20, &at_message(3, "1234", "again")),
        dispatch(one, 30, &at_message(4, "9999", "other")),
        dispatch(
            one,
            40,
            &group_message(5, "0BA13D42931777D3922F226B6B5D7F13", " a"),
        ),
        dispatch(
            one,
            50,
            &group_message(6, "E4F4AEA33253A2797FB897C50B81D7ED", " b"),
        ),
        dispatch(
            one,
            60,
            &group_message(7, "0BA13D42931777D3922F226B6B5D7F13", " c"),
        ),
    ];
    record(&path, &items, &redaction().with_ids(true));
    let (reader, records) = read_all(&path);
    assert!(reader.header().redaction.ids);
    let text = std::fs::read_to_string(&path).unwrap();
    for original in [
        "6158788878435714165",
        // Short ids as whole values: random pseudonym digits may contain them.
        "\"1234\"",
        "\"9999\"",
        "18700000000001",
        "\"100010\"",
        "0BA13D42931777D3922F226B6B5D7F13",
        "82B3406CB35C23E1071C8D6EC61C6064",
        "3c1f0d2e-8a4b",
    ] {
        assert!(!text.contains(original), "{original} survived --redact-ids");
    }
    let frames: Vec<serde_json::Value> = records.iter().filter_map(d_of).collect();
    let ready_event_user = records.iter().find_map(|r| match r {
        Record::Event(e) => match &e.kind {
            ItemKind::Ready { user_id, .. } => Some(user_id.clone()),
            _ => None,
        },
        _ => None,
    });
    let bot = frames[0]["d"]["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ready_event_user.as_deref(),
        Some(bot.as_str()),
        "READY event and frame agree"
    );
    assert_eq!(
        frames[1]["d"]["content"],
        format!("<@!{bot}> hi"),
        "mentions follow the id"
    );
    let author = |i: usize| frames[i]["d"]["author"]["id"].as_str().unwrap().to_owned();
    assert_eq!(author(1), author(2), "same id, same pseudonym");
    assert_ne!(author(1), author(3), "different ids, different pseudonyms");
    assert!(
        author(1).bytes().all(|b| b.is_ascii_digit()),
        "numeric ids stay numeric"
    );
    assert_eq!(frames[1]["d"]["guild_id"], frames[3]["d"]["guild_id"]);
    let openid = |i: usize| {
        frames[i]["d"]["author"]["member_openid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(openid(4), openid(6));
    assert_ne!(openid(4), openid(5));
    for frame in &frames[4..=6] {
        assert_eq!(
            frame["d"]["author"]["id"],
            frame["d"]["author"]["member_openid"]
        );
        let o = frame["d"]["author"]["member_openid"].as_str().unwrap();
        assert_eq!(o.len(), 32);
        assert!(
            o.bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
            "{o}"
        );
        assert!(frame["d"]["id"].as_str().unwrap().starts_with("ROBOT1.0_"));
    }
    // Envelope: same s and t, event ids keep their event name and stay distinct.
    for (frame, item) in frames.iter().zip(
        items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Dispatch(_))),
    ) {
        let ItemKind::Dispatch(d) = &item.kind else {
            unreachable!()
        };
        assert_eq!(frame["s"].as_u64(), d.seq);
        assert_eq!(frame["t"], &*d.t);
        if let Some(id) = d.id() {
            let new = frame["id"].as_str().unwrap();
            assert_ne!(new, id);
            assert!(new.starts_with(&format!("{}:", d.t)), "{new}");
            assert_eq!(new.len(), id.len());
        }
    }
    assert_ne!(frames[1]["id"], frames[2]["id"]);
    // Content is untouched without --redact-content.
    assert_eq!(frames[2]["d"]["content"], "again");
    // Still replays.
    let n = Replay::new(RecordReader::open(&path).unwrap(), Selection::everything()).count();
    assert_eq!(n, items.len());
}

#[test]
fn redact_content_blanks_message_text_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("content.ndjson");
    let items = vec![
        dispatch(ShardId::ONE, 0, &at_message(1, "1234", "my private words")),
        dispatch(
            ShardId::ONE,
            1,
            &group_message(2, "0BA13D42931777D3922F226B6B5D7F13", " secret plans"),
        ),
    ];
    record(&path, &items, &redaction().with_content(true));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("private words") && !text.contains("secret plans"));
    let (_, records) = read_all(&path);
    let frames: Vec<_> = records.iter().filter_map(d_of).collect();
    assert_eq!(frames.len(), 2);
    for frame in &frames {
        assert_eq!(frame["d"]["content"], "");
    }
    assert_eq!(frames[0]["d"]["author"]["id"], "1234", "ids untouched");
    assert_eq!(frames[1]["s"], 2);
}

#[test]
fn torn_last_line_is_a_warning_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("torn.ndjson");
    let items = session();
    record(&path, &items, &redaction());
    let lines_before = std::fs::read_to_string(&path).unwrap().lines().count() as u64;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(br#"{"type":"frame","offset_us":9999999,"at":"2026-11-27T09:50:00Z","shard":[0,1],"dir":"rx","frame":{"op":0,"s":99,"t":"AT_MESS"#).unwrap();
    drop(file);
    let (reader, records) = read_all(&path);
    assert_eq!(
        records.len() as u64,
        lines_before - 1,
        "every complete record is read"
    );
    assert_eq!(reader.warnings().len(), 1);
    let warning = &reader.warnings()[0];
    assert_eq!(warning.line, lines_before + 1);
    assert!(
        warning
            .to_string()
            .starts_with(&format!("line {}: torn last line", lines_before + 1)),
        "{warning}"
    );
    assert_eq!(
        replayed_ndjson(&path, Selection::everything()),
        ndjson_of(&items)
    );

    // Invalid JSON on a newline-terminated final line counts as torn too.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(b"\n").unwrap();
    drop(file);
    let (reader, records) = read_all(&path);
    assert_eq!(records.len() as u64, lines_before - 1);
    assert_eq!(reader.warnings()[0].line, lines_before + 1);
}

#[test]
fn invalid_middle_line_is_an_error_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ndjson");
    record(&path, &session(), &redaction());
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[4] = r#"{"type":"frame","offset_us":1,"#;
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let mut reader = RecordReader::open(&path).unwrap();
    let mut ok = 0;
    let err = loop {
        match reader.next_record() {
            Ok(Some(_)) => ok += 1,
            Ok(None) => panic!("the bad line must be an error"),
            Err(e) => break e,
        }
        assert!(ok < 100);
    };
    assert_eq!(ok, 3, "lines 2-4 read before the error");
    assert_eq!(err.line(), Some(5));
    assert_eq!(err.to_string(), "invalid record at line 5");
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert!(cause.contains("EOF"), "{cause}");
    assert!(
        reader.next_record().unwrap().is_none(),
        "stops after an error"
    );

    // Invalid UTF-8 in the middle.
    let mut bytes = lines.join("\n").into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe\n");
    bytes.extend_from_slice(lines[1].as_bytes());
    bytes.push(b'\n');
    std::fs::write(&path, bytes).unwrap();
    let reader = RecordReader::open(&path).unwrap();
    let err = reader.into_iter().find_map(Result::err).expect("an error");
    assert_eq!(err.line(), Some(5), "{err}");
}

#[test]
fn newer_major_version_is_refused_minor_accepted_with_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.ndjson");
    std::fs::write(&path, "{\"format\":\"qqbot-recording\",\"version\":\"2.0\",\"started_at\":\"2026-11-27T09:40:00Z\"}\n").unwrap();
    let err = RecordReader::open(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        "recording format 2.0 is newer than this qqbot understands (1.x); upgrade qqbot"
    );

    let v17 = concat!(
        r#"{"format":"qqbot-recording","version":"1.7","started_at":"2026-11-27T09:40:00Z","future":{"x":[1]},"shards":2}"#,
        "\n",
        r#"{"type":"frame","offset_us":10,"at":"2026-11-27T09:40:00.001Z","shard":[0,2],"dir":"rx","frame":{"op":0,"s":1,"t":"X","d":{}},"checksum":"abc"}"#,
        "\n",
        r#"{"type":"annotation","offset_us":11,"note":"new line type"}"#,
        "\n",
        r#"{"type":"event","offset_us":12,"at":"2026-11-27T09:40:00.002Z","shard":[0,2],"kind":"teleported"}"#,
        "\n",
        r#"{"at":"2026-11-27T09:40:00.003Z","kind":"close","type":"event","offset_us":13,"shard":[0,2],"code":4009,"reason":"r","origin":"server","action":"resume","new_field":true}"#,
        "\n",
        "\n",
        r#"{"type":"frame","offset_us":14,"at":"2026-11-27T09:40:00.004+08:00","shard":[1,2],"dir":"tx","frame_text":"not json\nat all"}"#,
        "\n",
    );
    std::fs::write(&path, v17).unwrap();
    let (reader, records) = read_all(&path);
    assert_eq!(reader.header().version, "1.7");
    assert_eq!(reader.header().shards, 2);
    assert_eq!(records.len(), 3);
    assert_eq!(reader.skipped(), 2, "unknown type and unknown kind skipped");
    assert!(reader.warnings().is_empty());
    assert!(
        matches!(&records[1], Record::Event(e) if matches!(e.kind, ItemKind::Closed { code: Some(4009), .. }))
    );
    let Record::Frame(f) = &records[2] else {
        panic!()
    };
    assert_eq!(&*f.text, "not json\nat all");
    assert!(f.envelope.is_none());
    assert_eq!(
        f.at,
        Utc.with_ymd_and_hms(2026, 11, 27, 1, 40, 0).unwrap() + chrono::Duration::milliseconds(4)
    );

    for (content, expected) in [
        ("", "not a qqbot recording: the file is empty"),
        (
            "{\"op\":0}\n",
            "not a qqbot recording: line 1 has no \"format\":\"qqbot-recording\"",
        ),
        (
            "{\"format\":\"qqbot-recording\",\"version\":\"0.3\",\"started_at\":\"2026-11-27T09:40:00Z\"}\n",
            "unsupported recording format version `0.3`",
        ),
    ] {
        std::fs::write(&path, content).unwrap();
        assert_eq!(RecordReader::open(&path).unwrap_err().to_string(), expected);
    }
    let missing = RecordReader::open(&dir.path().join("nope.ndjson")).unwrap_err();
    assert!(matches!(missing, RecordError::Open { .. }), "{missing}");
}

#[test]
fn frames_that_cannot_be_embedded_round_trip_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.ndjson");
    let frames = [
        "{\"op\":11,\n\"d\":null}",
        " {\"op\":11}",
        "\u{0}binary\u{1}",
        "{\"op\":0,\"d\":{\"a\":1}",
    ];
    let mut w = RecordWriter::create(&path, &header(), &Redaction::default()).unwrap();
    for frame in frames {
        w.write_frame(Dir::Rx, ShardId::ONE, &t0(), frame).unwrap();
    }
    w.close().unwrap();
    let (reader, records) = read_all(&path);
    assert!(reader.warnings().is_empty());
    let texts: Vec<&str> = records
        .iter()
        .map(|r| match r {
            Record::Frame(f) => &*f.text,
            Record::Event(_) => panic!("frames only"),
        })
        .collect();
    assert_eq!(texts, frames);
}

#[test]
fn zstd_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.ndjson.zst");
    let mut items = session();
    for seq in 10..400 {
        items.push(dispatch(
            ShardId::ONE,
            3000 + seq as i64,
            &at_message(seq, "1234", "repetitive text compresses"),
        ));
    }
    record(&path, &items, &redaction());
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], &[0x28, 0xB5, 0x2F, 0xFD], "zstd magic");
    let plain = zstd::decode_all(&bytes[..]).unwrap();
    assert!(
        bytes.len() * 5 < plain.len(),
        "{} vs {}",
        bytes.len(),
        plain.len()
    );
    assert!(plain.starts_with(b"{\"format\":\"qqbot-recording\""));
    assert_eq!(
        replayed_ndjson(&path, Selection::everything()),
        ndjson_of(&items)
    );
    // Progress counts compressed bytes, so a bar over the file size ends at 100%.
    let (reader, _) = read_all(&path);
    assert_eq!(reader.progress().bytes(), bytes.len() as u64);
    // Compressed input is detected by content as well (stdin).
    let reader = RecordReader::from_reader(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(reader.count(), items.len() + 2);
}

#[test]
fn truncated_zstd_tail_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.ndjson.zst");
    let (clock_us, clock) = manual_clock();
    let mut w = RecordWriter::create(&path, &header(), &Redaction::default())
        .unwrap()
        .with_clock(clock);
    for seq in 1..=200u64 {
        clock_us.store(seq * 1000, Ordering::SeqCst);
        w.write_item(&dispatch(
            ShardId::ONE,
            seq as i64,
            &at_message(seq, "1234", "x"),
        ))
        .unwrap();
        if seq == 100 {
            // What the once-a-second flush does: everything so far becomes decodable.
            w.flush().unwrap();
        }
    }
    w.close().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // Simulate a crash: cut the file well after the flush point but before the end.
    let cut = bytes.len() - 20;
    std::fs::write(&path, &bytes[..cut]).unwrap();
    let (reader, records) = read_all(&path);
    assert!(
        records.len() >= 100,
        "everything flushed before the crash is read: {}",
        records.len()
    );
    assert!(records.len() < 200);
    assert_eq!(reader.warnings().len(), 1, "{:?}", reader.warnings());
    let w = &reader.warnings()[0];
    eprintln!("zstd warning: {w}; records {}", records.len());
    assert!(w.line >= 101, "{w}");
    // Records read are intact and in order.
    for (i, r) in records.iter().enumerate() {
        let Record::Frame(f) = r else { panic!() };
        assert_eq!(f.envelope.as_ref().unwrap().seq, Some(i as u64 + 1));
    }
}

/// 10 dispatches, s = 1..=10, one every second, alternating types, plus a close at 5.5 s.
fn paced_file(path: &Path) {
    let (clock_us, clock) = manual_clock();
    let mut w = RecordWriter::create(path, &header(), &Redaction::default())
        .unwrap()
        .with_clock(clock);
    for seq in 1..=10u64 {
        clock_us.store(seq * 1_000_000, Ordering::SeqCst);
        let frame = if seq % 2 == 0 {
            group_message(seq, "0BA13D42931777D3922F226B6B5D7F13", "x")
        } else {
            at_message(seq, "1234", "y")
        };
        w.write_item(&dispatch(ShardId::ONE, seq as i64 * 1000, &frame))
            .unwrap();
        w.write_frame(
            Dir::Tx,
            ShardId::ONE,
            &at(seq as i64 * 1000),
            &format!(r#"{{"op":1,"d":{seq}}}"#),
        )
        .unwrap();
        w.write_frame(
            Dir::Rx,
            ShardId::ONE,
            &at(seq as i64 * 1000),
            r#"{"op":11}"#,
        )
        .unwrap();
        if seq == 5 {
            clock_us.store(5_500_000, Ordering::SeqCst);
            w.write_item(&life(
                5500,
                ItemKind::Closed {
                    code: Some(4009),
                    reason: "Session timed out".into(),
                    origin: CloseOrigin::Server,
                    action: CloseAction::Resume,
                    cause: qqbot::gateway::Cause::Closed {
                        code: Some(4009),
                        reason: "Session timed out".into(),
                    },
                },
            ))
            .unwrap();
        }
    }
    w.close().unwrap();
}

fn seqs(path: &Path, selection: Selection) -> Vec<Option<u64>> {
    Replay::new(RecordReader::open(path).unwrap(), selection)
        .map(|r| match r.unwrap().item.kind {
            ItemKind::Dispatch(d) => d.seq,
            _ => None,
        })
        .collect()
}

#[test]
fn selection_by_seq_offset_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paced.ndjson");
    paced_file(&path);
    let s = |v: &[u64]| v.iter().map(|n| Some(*n)).collect::<Vec<_>>();
    assert_eq!(
        seqs(&path, Selection::default()),
        s(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        "dispatches only, no tx/ack frames"
    );
    assert_eq!(
        seqs(
            &path,
            Selection {
                from_seq: Some(3),
                to_seq: Some(6),
                ..Selection::default()
            }
        ),
        s(&[3, 4, 5, 6])
    );
    assert_eq!(
        seqs(
            &path,
            Selection {
                from_seq: Some(9),
                ..Selection::default()
            }
        ),
        s(&[9, 10])
    );
    assert_eq!(
        seqs(
            &path,
            Selection {
                since: Some(Duration::from_millis(4000)),
                until: Some(Duration::from_millis(7000)),
                ..Selection::default()
            }
        ),
        s(&[4, 5, 6, 7])
    );
    assert_eq!(
        seqs(
            &path,
            Selection {
                types: vec!["group_at_message_create".into()],
                ..Selection::default()
            }
        ),
        s(&[2, 4, 6, 8, 10])
    );
    let with_control = seqs(
        &path,
        Selection {
            since: Some(Duration::from_secs(5)),
            until: Some(Duration::from_secs(6)),
            include_control: true,
            ..Selection::default()
        },
    );
    assert_eq!(
        with_control,
        vec![Some(5), None, Some(6)],
        "the close sits between 5 and 6"
    );
    assert!(
        seqs(
            &path,
            Selection {
                types: vec!["NOPE".into()],
                ..Selection::default()
            }
        )
        .is_empty()
    );
}

#[test]
fn pacing_from_a_recording() {
    use qqbot::record::{Pacer, Speed};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paced.ndjson");
    paced_file(&path);
    let selection = Selection {
        from_seq: Some(3),
        to_seq: Some(5),
        ..Selection::default()
    };
    let offsets: Vec<Duration> = Replay::new(RecordReader::open(&path).unwrap(), selection)
        .map(|r| r.unwrap().offset)
        .collect();
    assert_eq!(offsets, [3, 4, 5].map(Duration::from_secs));
    let dues = |speed| {
        let mut pacer = Pacer::new(speed);
        offsets.iter().map(|o| pacer.due(*o)).collect::<Vec<_>>()
    };
    assert_eq!(
        dues(Speed::REAL_TIME),
        [0, 1000, 2000].map(Duration::from_millis)
    );
    assert_eq!(
        dues(Speed::factor(2.0).unwrap()),
        [0, 500, 1000].map(Duration::from_millis)
    );
    assert_eq!(
        dues(Speed::factor(0.5).unwrap()),
        [0, 2000, 4000].map(Duration::from_millis)
    );
    assert_eq!(dues(Speed::Max), [Duration::ZERO; 3]);
}

#[test]
fn replay_stats_from_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stats.ndjson");
    let mut items = session();
    items.push(dispatch(
        ShardId::ONE,
        2200,
        &group_message(20, "E4F4AEA33253A2797FB897C50B81D7ED", "z"),
    ));
    record(&path, &items, &redaction());
    let mut stats = ReplayStats::default();
    for record in RecordReader::open(&path).unwrap() {
        stats.record(&record.unwrap());
    }
    assert_eq!(stats.stats.events, 7);
    assert_eq!(stats.stats.by_type.get("AT_MESSAGE_CREATE"), Some(&2));
    assert_eq!(stats.stats.by_type.get("GROUP_AT_MESSAGE_CREATE"), Some(&2));
    assert_eq!(stats.stats.closes, 2);
    assert_eq!(stats.stats.close_codes.get(&Some(4009)), Some(&1));
    assert_eq!(stats.stats.resumes, 1);
    assert_eq!(stats.by_guild.get("18700000000001"), Some(&2));
    assert_eq!(
        stats.by_group.get("82B3406CB35C23E1071C8D6EC61C6064"),
        Some(&2)
    );
    assert_eq!(stats.frames_tx, 2);
    assert_eq!(stats.span, Duration::from_millis(2200));
    let rtt = stats.stats.rtt_quantile(0.5).unwrap();
    assert!(
        rtt >= Duration::from_millis(30) && rtt <= Duration::from_micros(30_200),
        "{rtt:?}"
    );
    let summary = stats.summary();
    assert!(summary.starts_with("summary: 7 event(s)"), "{summary}");
    assert!(
        summary.contains("closes: no-close-frame×1, 4009×1"),
        "{summary}"
    );
    assert!(
        summary.contains("by group (1): 82B3406CB35C23E1071C8D6EC61C6064×2"),
        "{summary}"
    );
    assert!(
        summary.contains("2 sent; 1 reconnect request(s)"),
        "{summary}"
    );
    assert_eq!(stats.reconnect_requests(), 1);
}

/// Damage a recording at random places: reading never panics, and every failure names a line.
#[test]
fn damaged_files_give_errors_with_line_numbers_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.ndjson");
    record(&path, &session(), &redaction());
    let good = std::fs::read(&path).unwrap();
    let damaged = dir.path().join("damaged.ndjson");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut errors, mut warnings) = (0, 0);
    for _ in 0..300 {
        let mut bytes = good.clone();
        for _ in 0..1 + next() % 4 {
            let pos = (next() as usize) % bytes.len();
            bytes[pos] = b"{}[]\",:\n\\x0\xff"[(next() as usize) % 12];
        }
        if next() % 4 == 0 {
            bytes.truncate((next() as usize) % bytes.len());
        }
        std::fs::write(&damaged, &bytes).unwrap();
        let mut reader = match RecordReader::open(&damaged) {
            Ok(reader) => reader,
            Err(e) => {
                assert!(e.line().is_some() || matches!(e, RecordError::Empty), "{e}");
                continue;
            }
        };
        for _ in 0..1000 {
            match reader.next_record() {
                Ok(Some(record)) => {
                    if let Some(item) = qqbot::record::to_item(record) {
                        ndjson::line(&item);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    errors += 1;
                    assert!(e.line().is_some_and(|l| l >= 2), "{e}");
                    break;
                }
            }
        }
        warnings += reader.warnings().len();
    }
    assert!(
        errors > 0 && warnings > 0,
        "both outcomes exercised: {errors} errors, {warnings} warnings"
    );
}

/// Lines of every length, many of them straddling the reader's 256 KiB read buffer, a blank line
/// and a line only the general path reads (keys in another order): every record comes back
/// byte-exact with its line number, and the progress handle ends at the file's size.
#[test]
fn lines_across_read_buffer_boundaries_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.ndjson");
    let frames: Vec<String> = (1..=1500u64)
        .map(|seq| {
            // 0 to ~3 KiB of content, with multi-byte text and escapes now and then.
            let content = match seq % 5 {
                0 => "文".repeat((seq as usize * 7) % 1000),
                1 => format!("q\\\"{}", "x".repeat((seq as usize * 13) % 3000)),
                _ => "y".repeat((seq as usize * 31) % 2000),
            };
            format!(r#"{{"op":0,"s":{seq},"t":"AT_MESSAGE_CREATE","id":"AT:{seq}","d":{{"content":"{content}"}}}}"#)
        })
        .collect();
    let (clock_us, clock) = manual_clock();
    let mut w = RecordWriter::create(&path, &header(), &Redaction::default())
        .unwrap()
        .with_clock(clock);
    for (i, frame) in frames.iter().enumerate() {
        clock_us.store(i as u64 * 1000, Ordering::SeqCst);
        w.write_frame(Dir::Rx, ShardId::ONE, &at(i as i64), frame)
            .unwrap();
    }
    w.close().unwrap();
    // Append a blank line and a reordered frame line after the writer's output.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    writeln!(file).unwrap();
    writeln!(
        file,
        r#"{{"dir":"rx","shard":[0,1],"frame":{{"op":0,"s":1501,"t":"X","d":{{}}}},"at":"2026-11-27T09:40:02Z","offset_us":2000000,"type":"frame"}}"#
    )
    .unwrap();
    drop(file);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(
        size > 3 * 256 * 1024,
        "the file spans several read buffers: {size}"
    );

    let mut reader = RecordReader::open(&path).unwrap();
    let progress = reader.progress();
    let mut texts = Vec::new();
    let mut lines = Vec::new();
    for _ in 0..2000 {
        match reader.next_record().unwrap() {
            Some(Record::Frame(f)) => {
                texts.push(f.text.to_string());
                lines.push(reader.line_number());
            }
            Some(other) => panic!("unexpected record {other:?}"),
            None => break,
        }
    }
    assert_eq!(texts.len(), 1501);
    assert_eq!(texts[..1500], frames[..]);
    assert_eq!(texts[1500], r#"{"op":0,"s":1501,"t":"X","d":{}}"#);
    // Line 1 is the header; line 1502 is the blank one.
    let want: Vec<u64> = (2..=1501).chain([1503]).collect();
    assert_eq!(lines, want);
    assert!(reader.warnings().is_empty());
    assert_eq!(progress.bytes(), size);
}

/// A valid recording header line (with its newline).
fn header_line() -> Vec<u8> {
    let mut w = RecordWriter::new(Vec::new(), &header(), &Redaction::default()).unwrap();
    w.flush().unwrap();
    w.finish().unwrap()
}

/// Counts the bytes a reader takes from its source.
struct Counted<R> {
    inner: R,
    taken: Arc<AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn an_oversized_line_is_an_error_with_its_line_number_read_no_further() {
    use std::io::Read as _;
    let frame = at_message(1, "1234", "hi");
    let mut w = RecordWriter::new(Vec::new(), &header(), &Redaction::default()).unwrap();
    w.write_item(&dispatch(ShardId::ONE, 1, &frame)).unwrap();
    let mut good = w.finish().unwrap();
    let limit = good.iter().rposition(|&b| b == b'\n').unwrap() + 10;

    // A terminated line past the limit, in the middle of a file.
    let mut middle = good.clone();
    middle.extend(std::iter::repeat_n(b' ', limit + 1));
    middle.extend_from_slice(b"\n");
    middle.extend_from_slice(&good[header_line().len()..]);
    let mut reader =
        RecordReader::from_reader_with_max_line(std::io::Cursor::new(middle), limit).unwrap();
    assert!(reader.next_record().unwrap().is_some());
    let err = reader.next_record().unwrap_err();
    assert!(
        matches!(err, RecordError::LineTooLong { line: 3, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("line 3 is longer than {limit} bytes, the limit for one recording line")
    );
    assert!(reader.next_record().unwrap().is_none(), "reading stops");

    // A line of exactly the limit is still read (and judged on its content).
    let mut exact = good.clone();
    exact.extend(std::iter::repeat_n(b' ', limit));
    exact.extend_from_slice(b"\n");
    let reader =
        RecordReader::from_reader_with_max_line(std::io::Cursor::new(exact), limit).unwrap();
    assert_eq!(reader.map(Result::unwrap).count(), 1);

    // An endless unterminated tail: bounded, an error, and the source is read only a little
    // past the limit (one read buffer), not to its end.
    let taken = Arc::new(AtomicU64::new(0));
    good.extend_from_slice(b"{\"type\":\"frame\"");
    let source = Counted {
        inner: std::io::Cursor::new(good).chain(std::io::repeat(b'x').take(1 << 30)),
        taken: taken.clone(),
    };
    let mut reader = RecordReader::from_reader_with_max_line(source, limit).unwrap();
    assert!(reader.next_record().unwrap().is_some());
    let err = reader.next_record().unwrap_err();
    assert_eq!(err.line(), Some(3), "{err}");
    let taken = taken.load(Ordering::Relaxed);
    assert!(taken < 2 * 1024 * 1024, "read {taken} bytes");
}

#[test]
fn a_zstd_line_past_32_mib_is_refused_at_the_limit() {
    use std::io::Write as _;
    assert_eq!(qqbot::record::MAX_LINE, 32 * 1024 * 1024);
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
    enc.write_all(&header_line()).unwrap();
    let zeros = vec![0u8; 1024 * 1024];
    // 4 GiB would be the attack; 33 MiB is enough to cross the limit and keeps the test quick.
    for _ in 0..33 {
        enc.write_all(&zeros).unwrap();
    }
    let bytes = enc.finish().unwrap();
    assert!(bytes.len() < 64 * 1024, "{} bytes", bytes.len());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.ndjson.zst");
    std::fs::write(&path, &bytes).unwrap();
    let mut reader = RecordReader::open(&path).unwrap();
    let err = reader.next_record().unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2 is longer than 32 MiB, the limit for one recording line"
    );
}

/// Every record of `reader`, or the error that stopped it (bounded).
fn drain(mut reader: RecordReader) -> (RecordReader, usize, Option<RecordError>) {
    let mut n = 0;
    for _ in 0..100_000 {
        match reader.next_record() {
            Ok(Some(_)) => n += 1,
            Ok(None) => return (reader, n, None),
            Err(e) => return (reader, n, Some(e)),
        }
    }
    panic!("reader did not end");
}

#[test]
fn zstd_recordings_carry_a_checksum_and_damage_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.ndjson.zst");
    let items = session();
    record(&path, &items, &redaction());
    let good = std::fs::read(&path).unwrap();
    // Frame header descriptor byte: bit 2 is the content-checksum flag.
    assert_eq!(good[4] & 0b100, 0b100, "content checksum flag set");

    let damaged = dir.path().join("damaged.ndjson.zst");
    let mut corrupt = 0;
    // Flip one byte at a time across the compressed body (after the frame header, before the
    // checksum itself); every flip is noticed, most as corruption.
    for pos in (8..good.len() - 4).step_by(7) {
        let mut bytes = good.clone();
        bytes[pos] ^= 0x55;
        std::fs::write(&damaged, &bytes).unwrap();
        let err = match RecordReader::open(&damaged) {
            Err(e) => e,
            Ok(reader) => match drain(reader) {
                (_, _, Some(e)) => e,
                // A damaged block header can read as a frame cut short: the truncation warning.
                (reader, _, None) => {
                    assert_eq!(reader.warnings().len(), 1, "flip at {pos} unnoticed");
                    continue;
                }
            },
        };
        assert!(err.line().is_some(), "{err}");
        assert!(!matches!(err, RecordError::Empty), "flip at {pos}: {err}");
        if let RecordError::Corrupt { .. } = err {
            corrupt += 1;
            assert!(
                err.to_string()
                    .starts_with("the recording's compressed data is corrupt"),
                "{err}"
            );
        }
    }
    assert!(corrupt > 0, "no flip reported as corrupt");

    // The very first block damaged: a corrupt file, not "the file is empty".
    let mut bytes = good.clone();
    for b in &mut bytes[6..14] {
        *b ^= 0xFF;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    let err = match RecordReader::open(&damaged) {
        Err(e) => e,
        Ok(reader) => drain(reader).2.expect("an error"),
    };
    let text = err.to_string();
    assert!(!text.contains("empty"), "{text}");
    assert!(text.contains("corrupt"), "{text}");
}

#[test]
fn a_zstd_stream_starting_with_a_skippable_frame_replays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.ndjson.zst");
    let items = session();
    record(&path, &items, &redaction());
    let good = std::fs::read(&path).unwrap();
    let skippable = |tag: u8, data: &[u8]| {
        let mut frame = vec![0x50 | tag, 0x2A, 0x4D, 0x18];
        frame.extend_from_slice(&(data.len() as u32).to_le_bytes());
        frame.extend_from_slice(data);
        frame
    };
    let mut bytes = skippable(0, b"metadata");
    bytes.extend_from_slice(&good);
    bytes.extend(skippable(0xF, b"trailer"));
    let prefixed = dir.path().join("prefixed.ndjson.zst");
    std::fs::write(&prefixed, &bytes).unwrap();
    assert_eq!(
        replayed_ndjson(&prefixed, Selection::everything()),
        ndjson_of(&items)
    );
    let (reader, _) = read_all(&prefixed);
    assert!(reader.warnings().is_empty(), "{:?}", reader.warnings());
}

#[test]
fn random_mutations_of_a_zstd_recording_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.ndjson.zst");
    record(&path, &session(), &redaction());
    let good = std::fs::read(&path).unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut outcomes = [0usize; 3];
    for _ in 0..300 {
        let mut bytes = good.clone();
        for _ in 0..1 + next() % 3 {
            let pos = (next() as usize) % bytes.len();
            bytes[pos] = next() as u8;
        }
        if next() % 4 == 0 {
            bytes.truncate((next() as usize) % bytes.len());
        }
        let reader = match RecordReader::from_reader(std::io::Cursor::new(bytes)) {
            Ok(reader) => reader,
            Err(e) => {
                assert!(e.line().is_some() || matches!(e, RecordError::Empty), "{e}");
                outcomes[0] += 1;
                continue;
            }
        };
        match drain(reader) {
            (_, _, Some(e)) => {
                assert!(e.line().is_some_and(|l| l >= 1), "{e}");
                outcomes[1] += 1;
            }
            (reader, _, None) => {
                assert!(reader.warnings().iter().all(|w| w.line >= 2));
                outcomes[2] += 1;
            }
        }
    }
    assert!(outcomes[0] > 0 && outcomes[2] > 0, "{outcomes:?}");
}
