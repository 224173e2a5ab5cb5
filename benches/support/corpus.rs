//! Real-shaped dispatch frames for the benchmarks, written the way the platform's JSON encoder
//! writes them: `&`, `<` and `>` inside strings come as `\u0026`, `\u003c` and `\u003e` (so every
//! guild message's avatar URL and every `<@!id>` mention carries escapes), Chinese text is sent as
//! it is.
//!
//! The mix, repeating every 20 sequence numbers:
//! - 8 `AT_MESSAGE_CREATE`: guild message @-ing the bot, author with escaped avatar URL, `member`
//!   (nick, roles, joined_at), `mentions` (the bot, every third one also a user), content starting
//!   with `\u003c@!…\u003e`;
//! - 4 `MESSAGE_CREATE`: private-domain guild message, same author/member shape, no mention, some
//!   with `\u003e` quoting and one in four with an image attachment (escaped URL);
//! - 5 `GROUP_AT_MESSAGE_CREATE`: group message with openids, `message_scene`, one in five with an
//!   image attachment (escaped multimedia URL);
//! - 3 `C2C_MESSAGE_CREATE`: single-chat message with openids.

const BOT_ID: &str = "6158788878435714165";

/// A guild member's avatar URL as the platform escapes it.
fn avatar(user: u64) -> String {
    format!(
        r"https://thirdqq.qlogo.cn/g?b=oidb\u0026k=IU4JJatZtNXCVrf44es{:05}\u0026kti=ZyxNlwAAAAA\u0026s=0\u0026t=1700{:06}",
        user % 100_000,
        user % 1_000_000
    )
}

/// The frame with sequence number `seq` (deterministic).
pub fn frame(seq: u64) -> String {
    let user = 144_115_218_677_000_000 + seq % 977;
    let guild = format!("18700000000{:03}", seq % 17);
    let channel = 100_010 + seq % 13;
    let msg_id = format!("08cac39bf6d0aaeccf4810bcaae7d80138{seq:014}");
    let author = format!(
        r#"{{"avatar":"{}","bot":false,"id":"{user}","username":"用户{}"}}"#,
        avatar(user),
        seq % 977
    );
    let member = format!(
        r#"{{"joined_at":"2021-04-12T16:34:42+08:00","nick":"成员 {}","roles":["1","{}"]}}"#,
        seq % 977,
        4 + seq % 3
    );
    let slot = seq % 20;
    match slot {
        0..=7 => {
            let (t, other) = ("AT_MESSAGE_CREATE", seq.is_multiple_of(3));
            let mut mentions = format!(
                r#"{{"avatar":"{}","bot":true,"id":"{BOT_ID}","username":"testbot"}}"#,
                avatar(7)
            );
            let mut content = format!(r"\u003c@!{BOT_ID}\u003e /ping 第 {seq} 次 你好");
            if other {
                let mentioned = user + 1;
                mentions.push_str(&format!(
                    r#",{{"avatar":"{}","bot":false,"id":"{mentioned}","username":"用户{}"}}"#,
                    avatar(mentioned),
                    (seq + 1) % 977
                ));
                content.push_str(&format!(r" cc \u003c@!{mentioned}\u003e"));
            }
            envelope(
                seq,
                t,
                &format!("{t}:3c1f0d2e-8a4b-4f7c-9e61-{seq:012}"),
                &format!(
                    r#"{{"author":{author},"channel_id":"{channel}","content":"{content}","guild_id":"{guild}","id":"{msg_id}","member":{member},"mentions":[{mentions}],"seq":{seq},"seq_in_channel":"{seq}","timestamp":"2026-11-27T15:14:58+08:00"}}"#
                ),
            )
        }
        8..=11 => {
            let t = "MESSAGE_CREATE";
            let content = if slot == 9 {
                format!(r"\u003e 引用上一条 {seq}\n同意 \u003c3")
            } else {
                format!("今天的进度 {seq}，明天继续")
            };
            let attachments = if slot == 10 {
                format!(
                    r#","attachments":[{{"content_type":"image/png","filename":"{seq:X}.png","height":720,"id":"{seq}","size":48213,"url":"gchat.qpic.cn/qmeetpic/0/0-0-{seq:X}/0?term=255\u0026is_origin=0","width":1280}}]"#
                )
            } else {
                String::new()
            };
            envelope(
                seq,
                t,
                &format!("{t}:9a7e51c0-2d3b-4e8f-a1c4-{seq:012}"),
                &format!(
                    r#"{{"author":{author}{attachments},"channel_id":"{channel}","content":"{content}","guild_id":"{guild}","id":"{msg_id}","member":{member},"seq":{seq},"seq_in_channel":"{seq}","timestamp":"2026-11-27T15:15:02+08:00"}}"#
                ),
            )
        }
        12..=16 => {
            let t = "GROUP_AT_MESSAGE_CREATE";
            let openid = format!("0BA13D42931777D3922F226B6B5D{:04X}", seq % 4099);
            let group = format!("82B3406CB35C23E1071C8D6EC61C{:04X}", seq % 31);
            let attachments = if slot == 12 {
                format!(
                    r#","attachments":[{{"content_type":"image/jpeg","filename":"{seq:X}.jpg","height":1080,"size":201733,"url":"https://multimedia.nt.qq.com.cn/download?appid=1407\u0026fileid=EhT{seq:016X}\u0026spec=0\u0026rkey=CAQSKAB6JWENi5LMtWVWVxS2RfZbDwvOdlkneNX9iQFbjGK","width":1920}}]"#
                )
            } else {
                String::new()
            };
            envelope(
                seq,
                t,
                &format!("{t}:yit7pdisg1ugi2ejzlc2ftxchdbcvuwyprx6jusrlcb3ifop7ft9sk{seq:012}"),
                &format!(
                    r#"{{"author":{{"id":"{openid}","member_openid":"{openid}","union_openid":"{openid}"}}{attachments},"content":" 查询 {seq}","group_id":"{group}","group_openid":"{group}","id":"ROBOT1.0_yiT7pd.iSG1ugi2eJZLC-4hjLnBZLEexTLIZboQEsNgdqRNv9EV2xw0aYNn76KurHB.MGL6iFrTqL73j.uv-{seq:012}!","message_scene":{{"source":"default","ext":["msg_idx=REFIDX_CKzs6I8GEMK3p8cGGIjnvEc="]}},"message_type":0,"timestamp":"2026-11-27T23:13:34+08:00"}}"#
                ),
            )
        }
        _ => {
            let t = "C2C_MESSAGE_CREATE";
            let openid = format!("E4F4AEA33253A2797FB897C50B81{:04X}", seq % 4099);
            envelope(
                seq,
                t,
                &format!("{t}:aaaqz3ccmlcd6o8ltgxm4rnprbvsdf2c7unvknhz4ii7dyq0f2kc{seq:012}"),
                &format!(
                    r#"{{"author":{{"id":"{openid}","union_openid":"{openid}","user_openid":"{openid}"}},"content":"帮我查一下 {seq} 号订单","id":"ROBOT1.0_bUK.aeOcOuyRxtajEwWnODxxbqJ8sBaT3dMh-B7zIKS6k4nrmpG8M3U3bJ0DzPsBMeRCRsrANl8l8uPP6MbdK.Q!!","message_scene":{{"source":"default","ext":["msg_idx=REFIDX_CJLo9I8GENCwrcgGGIyasWs="]}},"message_type":0,"timestamp":"2026-11-27T23:20:11+08:00"}}"#
                ),
            )
        }
    }
}

fn envelope(seq: u64, t: &str, id: &str, d: &str) -> String {
    format!(r#"{{"op":0,"s":{seq},"t":"{t}","id":"{id}","d":{d}}}"#)
}
