//! Typed models against the exact payloads of PROTOCOL.md §7, and their real-world variants.

use qqbot::models::{ChatType, Event, ReactionTargetType, Timestamp};
use qqbot::protocol::{Envelope, EventType};

/// Peek a full frame and type its dispatch, as a consumer of `GatewayItem`s would.
fn parse_frame(frame: &str) -> Event {
    let env = Envelope::peek(frame).expect("frame");
    let t = env.t.as_deref().expect("t");
    Event::parse(t, env.d_text()).expect("typed")
}

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

const AT_MESSAGE: &str = r#"{ "op": 0, "s": 42, "t": "AT_MESSAGE_CREATE", "id": "AT_MESSAGE_CREATE:3c1f0d2e-8a4b-4f7c-9e61-5b2d7a9c0e11",
  "d": {
    "author": { "avatar": "http://thirdqq.qlogo.cn/0", "bot": false, "id": "1234", "username": "abc" },
    "channel_id": "100010",
    "content": "<@!6158788878435714165> /ping",
    "guild_id": "18700000000001",
    "id": "08cac39bf6d0aaeccf4810bcaae7d801380248cee6f8a406",
    "member": { "joined_at": "2021-04-12T16:34:42+08:00", "roles": ["1"] },
    "mentions": [ { "avatar": "http://thirdqq.qlogo.cn/0", "bot": true, "id": "6158788878435714165", "username": "testbot" } ],
    "seq": 101,
    "seq_in_channel": "101",
    "timestamp": "2021-05-20T15:14:58+08:00"
  } }"#;

#[test]
fn at_message_create_doc_payload() {
    let Event::AtMessageCreate(m) = parse_frame(AT_MESSAGE) else {
        panic!("wrong variant")
    };
    assert_eq!(m.id, "08cac39bf6d0aaeccf4810bcaae7d801380248cee6f8a406");
    assert_eq!(m.author.id, "1234");
    assert_eq!(m.author.username, "abc");
    assert!(!m.author.bot);
    assert_eq!(m.channel_id, "100010");
    assert_eq!(m.guild_id, "18700000000001");
    assert_eq!(m.plain_content(), "/ping");
    assert_eq!(m.mentions.len(), 1);
    assert!(m.mentions[0].bot);
    assert_eq!(m.mentions[0].id, "6158788878435714165");
    let member = m.member.as_ref().unwrap();
    assert_eq!(member.roles, vec!["1".to_owned()]);
    assert_eq!(member.joined_at, Some(ts("2021-04-12T16:34:42+08:00")));
    assert_eq!(m.seq, Some(101));
    assert_eq!(m.seq_in_channel.as_deref(), Some("101"));
    assert_eq!(m.timestamp, Some(ts("2021-05-20T15:14:58+08:00")));
    assert!(m.attachments.is_empty(), "absent attachments read as empty");
    assert!(!m.direct_message);
}

#[test]
fn message_create_has_the_same_shape() {
    let frame = AT_MESSAGE.replace("\"AT_MESSAGE_CREATE\"", "\"MESSAGE_CREATE\"");
    let event = parse_frame(&frame);
    assert_eq!(event.name(), "MESSAGE_CREATE");
    let Event::MessageCreate(m) = event else {
        panic!("wrong variant")
    };
    assert_eq!(m.seq, Some(101));
}

#[test]
fn direct_message_create_doc_payload() {
    let frame = r#"{ "op": 0, "s": 43, "t": "DIRECT_MESSAGE_CREATE", "id": "DIRECT_MESSAGE_CREATE:6a0e2b1c-7d4f-4e2a-8b3c-9d1e0f2a3b4c",
  "d": {
    "author": { "avatar": "http://thirdqq.qlogo.cn/0", "bot": false, "id": "1234", "username": "abc" },
    "channel_id": "100010",
    "content": "ndnnd",
    "direct_message": true,
    "guild_id": "18700000000001",
    "id": "0812345677890abcdef",
    "member": { "joined_at": "2021-04-12T16:34:42+08:00", "roles": ["1"] },
    "src_guild_id": "18700000000999",
    "timestamp": "2021-05-20T15:14:58+08:00"
  } }"#;
    let Event::DirectMessageCreate(m) = parse_frame(frame) else {
        panic!("wrong variant")
    };
    assert!(m.direct_message);
    assert_eq!(m.guild_id, "18700000000001");
    assert_eq!(m.src_guild_id.as_deref(), Some("18700000000999"));
    assert_eq!(m.content, "ndnnd");
    assert!(m.mentions.is_empty());
}

#[test]
fn group_at_message_create_real_payload() {
    let frame = r#"{ "op": 0, "s": 7, "t": "GROUP_AT_MESSAGE_CREATE",
  "id": "GROUP_AT_MESSAGE_CREATE:yit7pdisg1ugi2ejzlc2ftxchdbcvuwyprx6jusrlcb3ifop7ft9skolij8yha",
  "d": {
    "id": "ROBOT1.0_yiT7pd.iSG1ugi2eJZLC-4hjLnBZLEexTLIZboQEsNgdqRNv9EV2xw0aYNn76KurHB.MGL6iFrTqL73j.uv-O8U1msiTe5JeJMfw9nzdrjc!",
    "content": " lssv",
    "timestamp": "2025-09-08T23:13:34+08:00",
    "author": { "id": "0BA13D42931777D3922F226B6B5D7F13",
                "member_openid": "0BA13D42931777D3922F226B6B5D7F13",
                "union_openid": "0BA13D42931777D3922F226B6B5D7F13" },
    "group_id": "82B3406CB35C23E1071C8D6EC61C6064",
    "group_openid": "82B3406CB35C23E1071C8D6EC61C6064",
    "message_scene": { "source": "default" },
    "message_type": 0
  } }"#;
    let Event::GroupAtMessageCreate(g) = parse_frame(frame) else {
        panic!("wrong variant")
    };
    assert!(g.id.starts_with("ROBOT1.0_") && g.id.ends_with('!'));
    assert_eq!(g.content, " lssv", "the leading space is kept as sent");
    assert_eq!(g.author.member_openid, "0BA13D42931777D3922F226B6B5D7F13");
    assert_eq!(g.author.id, g.author.member_openid);
    assert!(!g.author.bot);
    assert_eq!(g.author.member_role, None);
    assert_eq!(g.group_openid, "82B3406CB35C23E1071C8D6EC61C6064");
    assert_eq!(
        g.group_id.as_deref(),
        Some("82B3406CB35C23E1071C8D6EC61C6064")
    );
    assert_eq!(g.message_scene.unwrap().source, "default");
    assert_eq!(g.message_type, Some(0));
    assert_eq!(g.timestamp, Some(ts("2025-09-08T23:13:34+08:00")));
}

#[test]
fn group_message_newer_fields() {
    let d = r#"{"id":"ROBOT1.0_x!","content":" hi","group_openid":"G1",
      "author":{"member_openid":"M1","bot":false,"member_role":"admin","username":"u"},
      "mentions":[{"scope":"single","bot":true,"id":"B","is_you":true,"member_openid":"B","username":"bot"},
                  {"scope":"all","is_you":true,"username":"全体成员"}],
      "attachments":[{"content_type":"image/png","url":"https://x.invalid/a.png","size":"12"}],
      "message_scene":{"source":"default","ext":["msg_idx=REFIDX_abc==","ref_msg_idx=REFIDX_def=="]},
      "msg_idx":"REFIDX_abc==",
      "msg_elements":[{"content":"quoted","message_type":0,"msg_idx":"REFIDX_def==","author":{"bot":true,"username":"bot"}}],
      "brand_new_field":{"x":1}}"#;
    let Event::GroupAtMessageCreate(g) = Event::parse("GROUP_AT_MESSAGE_CREATE", d).unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(g.author.member_role.as_deref(), Some("admin"));
    assert_eq!(g.mentions.len(), 2);
    assert!(g.mentions[0].is_you && g.mentions[0].bot);
    assert_eq!(g.mentions[1].scope, "all");
    assert_eq!(g.attachments[0].size, Some(12), "numeric string size");
    let scene = g.message_scene.unwrap();
    assert_eq!(scene.ext_value("msg_idx"), Some("REFIDX_abc=="));
    assert_eq!(scene.ext_value("ref_msg_idx"), Some("REFIDX_def=="));
    assert_eq!(scene.ext_value("nope"), None);
    assert_eq!(g.msg_elements[0].content, "quoted");
    assert!(g.msg_elements[0].author.bot);
}

#[test]
fn c2c_message_create_payload() {
    let frame = r#"{ "op": 0, "s": 2, "t": "C2C_MESSAGE_CREATE", "id": "C2C_MESSAGE_CREATE:0d7f3a9e-2c4b-4e8a-b1f6-7a5c9d2e3f10",
  "d": {
    "author": { "bot": false, "id": "E4F4AEA33253A2797FB897C50B81D7ED", "union_openid": "",
                "user_openid": "E4F4AEA33253A2797FB897C50B81D7ED", "username": "" },
    "content": "123",
    "id": "ROBOT1.0_.b6nx.CVryAO0nR58RXuU6SC.m92gc19j02qKqdm8ek!",
    "message_scene": { "ext": ["msg_idx=REFIDX_xxxxxxxxxxxxxxxx=="], "source": "default" },
    "message_type": 0,
    "timestamp": "2023-11-06T13:37:18+08:00",
    "attachments": [ { "content_type": "image/jpeg", "filename": "a.jpg", "height": 720, "width": 1280, "size": 48213, "url": "https://example.invalid/a.jpg" } ]
  } }"#;
    let Event::C2cMessageCreate(c) = parse_frame(frame) else {
        panic!("wrong variant")
    };
    assert_eq!(c.author.user_openid, "E4F4AEA33253A2797FB897C50B81D7ED");
    assert_eq!(c.author.union_openid, None, "empty string reads as absent");
    assert_eq!(c.author.username, None);
    assert_eq!(c.content, "123");
    let a = &c.attachments[0];
    assert_eq!(
        (a.content_type.as_str(), a.width, a.height, a.size),
        ("image/jpeg", Some(1280), Some(720), Some(48213))
    );
    assert_eq!(a.filename.as_deref(), Some("a.jpg"));
    assert_eq!(
        c.message_scene.unwrap().ext_value("msg_idx"),
        Some("REFIDX_xxxxxxxxxxxxxxxx==")
    );
    assert_eq!(c.timestamp.unwrap().unix(), 1_699_249_038);
}

#[test]
fn guild_member_add_doc_payload() {
    let frame = r#"{ "op": 0, "s": 9, "t": "GUILD_MEMBER_ADD", "id": "GUILD_MEMBER_ADD:1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b",
  "d": {
    "guild_id": "200000000",
    "joined_at": "2021-10-21T11:20:18+08:00",
    "nick": "",
    "op_user_id": "100000000",
    "roles": ["1"],
    "user": { "avatar": "http://thirdqq.qlogo.cn/g?b=oidb&k=IU4JJatZtNXCVrf44eshNg&s=0&t=1638261405",
              "bot": true, "id": "8834102668809967837", "username": "b站机器人" }
  } }"#;
    let Event::GuildMemberAdd(m) = parse_frame(frame) else {
        panic!("wrong variant")
    };
    assert_eq!(m.guild_id, "200000000");
    assert_eq!(m.op_user_id.as_deref(), Some("100000000"));
    assert_eq!(m.nick, None);
    assert_eq!(m.user.username, "b站机器人");
    assert!(m.user.bot);
    assert_eq!(m.joined_at, Some(ts("2021-10-21T11:20:18+08:00")));
    for t in ["GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"] {
        let env = Envelope::peek(frame).unwrap();
        let event = Event::parse(t, env.d_text()).unwrap();
        assert_eq!(event.name(), t);
    }
}

const REACTION: &str = r#"{ "op": 0, "s": 2, "t": "MESSAGE_REACTION_ADD", "id": "MESSAGE_REACTION_ADD:50dc07ea-4a3b-4634-8516-cf1e8ddfbf38",
  "d": {
    "channel_id": "454677820",
    "emoji": { "id": "89", "type": 1 },
    "guild_id": "5233096270906057162",
    "target": { "id": "08cac39bf6d0aaeccf4810bcaae7d801380248cee6f8a406", "type": "ReactionTargetType_MSG" },
    "user_id": "11528069550601428493"
  } }"#;

#[test]
fn reaction_real_frame_with_string_target_type() {
    let Event::MessageReactionAdd(r) = parse_frame(REACTION) else {
        panic!("wrong variant")
    };
    assert_eq!(r.target.kind, ReactionTargetType::Message);
    assert_eq!(
        r.target.id,
        "08cac39bf6d0aaeccf4810bcaae7d801380248cee6f8a406"
    );
    assert_eq!(r.emoji.id, "89");
    assert_eq!(r.emoji.kind, Some(1));
    assert_eq!(r.user_id, "11528069550601428493");
    assert_eq!(r.guild_id, "5233096270906057162");
}

#[test]
fn reaction_target_type_int_and_string_agree() {
    let cases = [
        ("0", ReactionTargetType::Message),
        ("1", ReactionTargetType::Feed),
        ("2", ReactionTargetType::Comment),
        ("3", ReactionTargetType::Reply),
        ("\"ReactionTargetType_MSG\"", ReactionTargetType::Message),
        ("\"ReactionTargetType_FEED\"", ReactionTargetType::Feed),
        (
            "\"ReactionTargetType_COMMNENT\"",
            ReactionTargetType::Comment,
        ),
        (
            "\"ReactionTargetType_COMMENT\"",
            ReactionTargetType::Comment,
        ),
        ("\"ReactionTargetType_REPLY\"", ReactionTargetType::Reply),
        ("7", ReactionTargetType::Unknown("7".into())),
        (
            "\"ReactionTargetType_NEW\"",
            ReactionTargetType::Unknown("ReactionTargetType_NEW".into()),
        ),
    ];
    for (raw, want) in cases {
        let d = format!(r#"{{"target":{{"id":"x","type":{raw}}},"emoji":{{"id":"😀","type":2}}}}"#);
        let Event::MessageReactionRemove(r) = Event::parse("MESSAGE_REACTION_REMOVE", &d).unwrap()
        else {
            panic!("wrong variant")
        };
        assert_eq!(r.target.kind, want, "{raw}");
        assert_eq!(r.emoji.id, "😀");
    }
    assert_eq!(
        ReactionTargetType::Comment.as_str(),
        "ReactionTargetType_COMMNENT"
    );
    assert_eq!(ReactionTargetType::Reply.code(), Some(3));
}

const INTERACTION: &str = r#"{ "op": 0, "s": 12, "t": "INTERACTION_CREATE", "id": "INTERACTION_CREATE:30540ff7-9d8f-4737-83f1-e116ce6afa8b",
  "d": {
    "id": "30540ff7-9d8f-4737-83f1-e116ce6afa8b",
    "application_id": "102000000",
    "type": 11,
    "scene": "group",
    "chat_type": 1,
    "timestamp": "2024-05-20T15:14:58+08:00",
    "group_openid": "C9F778FE6ADF9D1D1DBE395BF744A33A",
    "group_member_openid": "E4F4AEA33253A2797FB897C50B81D7ED",
    "data": { "type": 11, "resolved": { "button_id": "21", "button_data": "回调按钮" } },
    "version": 1
  } }"#;

#[test]
fn interaction_group_payload() {
    let Event::InteractionCreate(i) = parse_frame(INTERACTION) else {
        panic!("wrong variant")
    };
    assert_eq!(i.id, "30540ff7-9d8f-4737-83f1-e116ce6afa8b");
    assert_eq!(i.application_id, "102000000");
    assert_eq!(i.kind, Some(11));
    assert_eq!(i.scene.as_deref(), Some("group"));
    assert_eq!(i.chat(), Some(ChatType::Group));
    assert_eq!(
        i.group_openid.as_deref(),
        Some("C9F778FE6ADF9D1D1DBE395BF744A33A")
    );
    assert_eq!(
        i.group_member_openid.as_deref(),
        Some("E4F4AEA33253A2797FB897C50B81D7ED")
    );
    assert_eq!(i.data.kind, Some(11));
    assert_eq!(i.data.resolved.button_id.as_deref(), Some("21"));
    assert_eq!(i.data.resolved.button_data.as_deref(), Some("回调按钮"));
    assert_eq!(i.version, Some(1));
    assert_eq!(i.timestamp, Some(ts("2024-05-20T15:14:58+08:00")));
}

#[test]
fn interaction_application_id_as_int_and_doc_example_without_it() {
    let d = r#"{"id":"i1","application_id":102000000,"chat_type":0,"guild_id":"g","channel_id":"c",
        "data":{"type":11,"resolved":{"button_id":"1","user_id":"u","message_id":"m"}}}"#;
    let Event::InteractionCreate(i) = Event::parse("INTERACTION_CREATE", d).unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(i.application_id, "102000000");
    assert_eq!(i.chat(), Some(ChatType::Guild));
    assert_eq!(i.data.resolved.user_id.as_deref(), Some("u"));
    assert_eq!(i.data.resolved.message_id.as_deref(), Some("m"));
    // The doc's own example lacks application_id, scene and timestamp.
    let Event::InteractionCreate(i) = Event::parse(
        "INTERACTION_CREATE",
        r#"{"id":"i2","type":12,"user_openid":"U"}"#,
    )
    .unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(i.application_id, "");
    assert_eq!(i.timestamp, None);
    assert_eq!(i.user_openid.as_deref(), Some("U"));
}

#[test]
fn group_robot_and_friend_events_with_int_timestamps() {
    let d = r#"{"group_openid": "C9F7", "op_member_openid": "E4F4", "timestamp": 1699240248}"#;
    for t in [
        "GROUP_ADD_ROBOT",
        "GROUP_DEL_ROBOT",
        "GROUP_MSG_REJECT",
        "GROUP_MSG_RECEIVE",
    ] {
        let event = Event::parse(t, d).unwrap();
        assert_eq!(event.name(), t);
        let (Event::GroupAddRobot(g)
        | Event::GroupDelRobot(g)
        | Event::GroupMsgReject(g)
        | Event::GroupMsgReceive(g)) = event
        else {
            panic!("wrong variant for {t}")
        };
        assert_eq!(g.group_openid, "C9F7");
        assert_eq!(g.op_member_openid, "E4F4");
        assert_eq!(g.timestamp.unwrap().unix(), 1_699_240_248);
    }
    let Event::FriendAdd(f) = Event::parse(
        "FRIEND_ADD",
        r#"{"openid": "E4F4", "timestamp": 1699240365}"#,
    )
    .unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(f.openid, "E4F4");
    assert_eq!(f.timestamp, Timestamp::from_unix(1_699_240_365));
    assert_eq!(f.nick, None);
    // The same event with an RFC 3339 timestamp and botgo's extra fields.
    let Event::FriendDel(f) = Event::parse(
        "FRIEND_DEL",
        r#"{"openid":"E4F4","timestamp":"2023-11-06T11:12:45+08:00","nick":"n","avatar":"a"}"#,
    )
    .unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(f.timestamp, Timestamp::from_unix(1_699_240_365));
    assert_eq!(f.nick.as_deref(), Some("n"));
}

#[test]
fn message_delete_audit_enter_aio_guild_channel() {
    let d = r#"{"message":{"id":"m","channel_id":"c","guild_id":"g","author":{"id":"a","username":"u","bot":false},"direct_message":true,"src_guild_id":"s"},"op_user":{"id":"op"}}"#;
    for t in [
        "MESSAGE_DELETE",
        "PUBLIC_MESSAGE_DELETE",
        "DIRECT_MESSAGE_DELETE",
    ] {
        let (Event::MessageDelete(del)
        | Event::PublicMessageDelete(del)
        | Event::DirectMessageDelete(del)) = Event::parse(t, d).unwrap()
        else {
            panic!("wrong variant for {t}")
        };
        assert_eq!(del.message.id, "m");
        assert!(del.message.direct_message);
        assert_eq!(del.op_user.id, "op");
    }
    let Event::MessageAuditPass(a) = Event::parse(
        "MESSAGE_AUDIT_PASS",
        r#"{"audit_id":"A","message_id":"M","guild_id":"g","channel_id":"c","audit_time":"2021-05-20T15:14:58+08:00","create_time":"2021-05-20T15:14:50+08:00","seq_in_channel":"7"}"#,
    )
    .unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(
        (a.audit_id.as_str(), a.message_id.as_deref()),
        ("A", Some("M"))
    );
    assert_eq!(a.seq_in_channel.as_deref(), Some("7"));
    assert!(a.audit_time > a.create_time);
    let Event::MessageAuditReject(a) =
        Event::parse("MESSAGE_AUDIT_REJECT", r#"{"audit_id":"B"}"#).unwrap()
    else {
        panic!("wrong variant")
    };
    assert_eq!(a.message_id, None);
    let Event::EnterAio(e) =
        Event::parse("ENTER_AIO", r#"{"user_openid":"U","from_source":"list"}"#).unwrap()
    else {
        panic!("wrong variant")
    };
    assert_eq!(
        (e.user_openid.as_str(), e.from_source.as_deref()),
        ("U", Some("list"))
    );
    let Event::GuildCreate(g) = Event::parse(
        "GUILD_CREATE",
        r#"{"id":"g","name":"n","icon":"i","owner_id":"o","owner":false,"member_count":12,"max_members":"300","description":"d","joined_at":"2021-05-20T15:14:58+08:00","op_user_id":"op"}"#,
    )
    .unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!((g.member_count, g.max_members), (Some(12), Some(300)));
    assert_eq!(g.op_user_id.as_deref(), Some("op"));
    let Event::ChannelDelete(c) = Event::parse(
        "CHANNEL_DELETE",
        r#"{"id":"c","guild_id":"g","name":"n","type":0,"sub_type":0,"position":1,"owner_id":"o","op_user_id":"op"}"#,
    )
    .unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!((c.kind, c.position), (Some(0), Some(1)));
}

#[test]
fn ready_and_resumed() {
    let Event::Ready(r) = Event::parse(
        "READY",
        r#"{"version":1,"session_id":"s-1","user":{"id":"11","username":"bot","bot":true},"shard":[0,1]}"#,
    )
    .unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(r.session_id, "s-1");
    assert_eq!(r.user.username, "bot");
    assert_eq!(r.shard, Some([0, 1]));
    assert!(matches!(
        Event::parse("RESUMED", "\"\"").unwrap(),
        Event::Resumed
    ));
}

#[test]
fn missing_null_and_extra_fields_never_fail() {
    for t in EventType::KNOWN {
        let t = t.as_str();
        for d in [
            "{}",
            "null",
            r#"{"unexpected":{"nested":[1,2,3]},"another":true}"#,
        ] {
            let event = Event::parse(t, d).unwrap_or_else(|e| panic!("{t} {d}: {e}"));
            assert_eq!(event.name(), t);
        }
    }
    // Every field null.
    let d = r#"{"id":null,"content":null,"author":null,"member":null,"attachments":null,"mentions":null,
        "timestamp":null,"seq":null,"seq_in_channel":null,"direct_message":null,"message_reference":null}"#;
    let Event::AtMessageCreate(m) = Event::parse("AT_MESSAGE_CREATE", d).unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!((m.id.as_str(), m.seq, m.timestamp), ("", None, None));
}

#[test]
fn ids_and_numbers_in_either_representation() {
    let d = r#"{"id":12345,"channel_id":100010,"guild_id":"1","author":{"id":1234,"bot":"true"},
        "seq":"101","seq_in_channel":101,"timestamp":1621494898,"message_reference":{"message_id":"q"}}"#;
    let Event::AtMessageCreate(m) = Event::parse("AT_MESSAGE_CREATE", d).unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!((m.id.as_str(), m.channel_id.as_str()), ("12345", "100010"));
    assert_eq!(m.author.id, "1234");
    assert!(m.author.bot);
    assert_eq!(m.seq, Some(101));
    assert_eq!(m.seq_in_channel.as_deref(), Some("101"));
    assert_eq!(m.timestamp, Some(ts("2021-05-20T15:14:58+08:00")));
    assert_eq!(m.message_reference.unwrap().message_id, "q");
}

#[test]
fn unparseable_timestamp_is_none_not_an_error() {
    let Event::C2cMessageCreate(c) =
        Event::parse("C2C_MESSAGE_CREATE", r#"{"id":"x","timestamp":"soon"}"#).unwrap()
    else {
        panic!("wrong variant")
    };
    assert_eq!(c.id, "x");
    assert_eq!(c.timestamp, None);
}

#[test]
fn impossible_shapes_are_errors_naming_the_event() {
    let err = Event::parse("AT_MESSAGE_CREATE", r#"{"id":{"no":1}}"#).unwrap_err();
    assert_eq!(err.to_string(), "cannot read the AT_MESSAGE_CREATE payload");
    assert!(std::error::Error::source(&err).is_some());
    assert!(Event::parse("C2C_MESSAGE_CREATE", "{not json").is_err());
    assert!(Event::parse("SOMETHING_NEW", "{not json").is_err());
}

#[test]
fn unknown_and_unmodelled_events_keep_raw_d() {
    let d = r#"{"a": 1,  "b":[true]}"#;
    for t in ["SOMETHING_NEW", "FORUM_THREAD_CREATE", "AUDIO_START"] {
        let Event::Other { t: name, d: raw } = Event::parse(t, d).unwrap() else {
            panic!("wrong variant for {t}")
        };
        assert_eq!(name, t);
        assert_eq!(raw.get(), d, "byte-exact");
    }
    assert_eq!(
        Event::parse("SOMETHING_NEW", "{}").unwrap().event_type(),
        EventType::Unknown("SOMETHING_NEW".into())
    );
}

#[test]
fn attachment_urls_without_scheme_get_https() {
    let d = r#"{"attachments":[{"content_type":"image/png","url":"gchat.qpic.cn/x.png"},{"content_type":"file","url":"http://a/b"}]}"#;
    let Event::MessageCreate(m) = Event::parse("MESSAGE_CREATE", d).unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(
        m.attachments[0].url_with_scheme(),
        "https://gchat.qpic.cn/x.png"
    );
    assert_eq!(m.attachments[1].url_with_scheme(), "http://a/b");
}

#[test]
fn plain_content_strips_mentions_and_unescapes() {
    let d = r#"{"content":"<@6158788878435714165>  a &lt;b&gt; &amp; <@!x> c <@ not a mention"}"#;
    let Event::AtMessageCreate(m) = Event::parse("AT_MESSAGE_CREATE", d).unwrap() else {
        panic!("wrong variant")
    };
    assert_eq!(m.plain_content(), "a <b> &  c <@ not a mention");
}
