//! Message recall (撤回, PROTOCOL.md §8.6): which `DELETE …/messages/{message_id}` calls withdraw
//! a message.
//!
//! A recall succeeds when `message_id` is a message the bot sent (an accepted call to the send
//! route of the same scene, recorded in the sent log) to the same target (channel, DM guild,
//! group or user), not recalled yet, less than [`RECALL_WINDOW`] ago by the emulator's clock (the
//! tokio clock the passive-reply windows use, so paused-time tests control it).
//!
//! Emulator choices where the platform is undocumented:
//! - the 2 min limit is documented for group and C2C messages only; it applies to guild channel
//!   and DM messages too;
//! - only the bot's own messages can be recalled (on the platform a guild admin bot may also
//!   recall members' messages);
//! - an unknown id, an id sent to another target or scene, and an id already recalled all get
//!   [`INVALID_MSG_ID`] (HTTP 400, 40034024 "请求参数msg_id无效或越权", the platform's code for
//!   a msg_id that is not this bot's);
//! - a recall after the window gets [`RECALL_EXPIRED`] (HTTP 400, 304027 "msg_id expired" from
//!   the documented error table); the real code for this case is unknown;
//! - `hidetip` is accepted with any value and ignored.

use std::time::Duration;

use super::passive::{INVALID_MSG_ID, Refusal};
use super::records::SentMessage;

/// How long after sending a message can be recalled (documented for group and C2C: 2 min).
pub const RECALL_WINDOW: Duration = Duration::from_secs(2 * 60);

/// The recall window has passed. The platform's code for this is not documented; the emulator
/// uses 304027 (msg_id expired, PROTOCOL.md §8.4) with a message of its own.
pub const RECALL_EXPIRED: Refusal = Refusal {
    status: 400,
    code: 304027,
    message: "msg_id expired: a message can be recalled only within 2 minutes of sending",
};

/// Mark `message_id` recalled in `sent` if the rules above allow it. `send_route` is the route
/// label the message was sent with (`channel`, `dm`, `group`, `c2c`), `target` the path's
/// target, `now` the time since emulator start (the clock of [`SentMessage::offset`]).
pub fn recall(
    sent: &mut [SentMessage],
    send_route: &str,
    target: &str,
    message_id: &str,
    now: Duration,
) -> Result<(), Refusal> {
    let message = sent
        .iter_mut()
        .rev()
        .find(|m| {
            m.code == 0
                && m.id.as_deref() == Some(message_id)
                && m.route == send_route
                && m.target == target
        })
        .ok_or(INVALID_MSG_ID)?;
    if message.recalled {
        return Err(INVALID_MSG_ID);
    }
    if now.saturating_sub(message.offset) >= RECALL_WINDOW {
        return Err(RECALL_EXPIRED);
    }
    message.recalled = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(route: &str, target: &str, id: Option<&str>, code: u64, at: u64) -> SentMessage {
        SentMessage {
            route: route.to_owned(),
            target: target.to_owned(),
            msg_id: None,
            event_id: None,
            msg_seq: None,
            msg_type: None,
            content: None,
            status: if code == 0 { 200 } else { 400 },
            code,
            id: id.map(str::to_owned),
            recalled: false,
            offset: Duration::from_secs(at),
        }
    }

    #[test]
    fn only_own_recent_unrecalled_messages_to_the_same_target() {
        let mut log = vec![
            sent("group", "G1", Some("m1"), 0, 10),
            sent("c2c", "U1", Some("m2"), 0, 10),
            sent("group", "G1", None, 40034024, 10),
        ];
        let at = |s: u64| Duration::from_secs(s);
        assert_eq!(
            recall(&mut log, "group", "G2", "m1", at(20)),
            Err(INVALID_MSG_ID)
        );
        assert_eq!(
            recall(&mut log, "c2c", "G1", "m1", at(20)),
            Err(INVALID_MSG_ID),
            "another scene"
        );
        assert_eq!(
            recall(&mut log, "group", "G1", "nope", at(20)),
            Err(INVALID_MSG_ID)
        );
        assert_eq!(recall(&mut log, "group", "G1", "m1", at(129)), Ok(()));
        assert!(log[0].recalled && !log[1].recalled);
        assert_eq!(
            recall(&mut log, "group", "G1", "m1", at(20)),
            Err(INVALID_MSG_ID),
            "already recalled"
        );
        assert_eq!(
            recall(&mut log, "c2c", "U1", "m2", at(130)),
            Err(RECALL_EXPIRED),
            "exactly 2 min after sending is too late"
        );
        assert!(!log[1].recalled);
    }
}
