//! Known OpenAPI error codes (PROTOCOL.md §8.4) with a one-line meaning and a hint.

/// One known OpenAPI (or token endpoint) error code.
#[derive(Debug, PartialEq, Eq)]
pub struct ApiErrorInfo {
    /// The `code` (or `err_code`) value.
    pub code: u64,
    /// Plain-language meaning.
    pub meaning: &'static str,
    /// What to do about it.
    pub hint: &'static str,
    /// Which kind of failure the code is (credentials, rate limit, quota), if one of those.
    pub group: Option<ErrorGroup>,
}

/// The groups of codes a client treats alike (PROTOCOL.md §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorGroup {
    /// The credentials were refused (the OpenAPI client refreshes the token once).
    Auth,
    /// Slow down: waiting seconds helps.
    RateLimit,
    /// A daily or monthly quota is used up: waiting seconds does not help (also a rate limit).
    Quota,
}

macro_rules! api_errors {
    (@group) => { None };
    (@group auth) => { Some(ErrorGroup::Auth) };
    (@group rate) => { Some(ErrorGroup::RateLimit) };
    (@group quota) => { Some(ErrorGroup::Quota) };
    ($($code:literal $([$group:ident])? => $meaning:literal, $hint:literal;)*) => {
        /// Every known error code, in numeric order.
        pub static API_ERRORS: &[ApiErrorInfo] = &[
            $(ApiErrorInfo {
                code: $code,
                meaning: $meaning,
                hint: $hint,
                group: api_errors!(@group $($group)?),
            },)*
        ];
    };
}

api_errors! {
    11241 [auth] => "access token missing", "send `Authorization: QQBot <access_token>`";
    11242 [auth] => "access token check failed", "fetch a fresh token from /app/getAppAccessToken";
    11243 [auth] => "access token wrong", "fetch a fresh token; check you are not mixing bots";
    11244 [auth] => "access token expired or unknown", "refresh the token (qqbot does this once automatically)";
    11245 [auth] => "fixed bot token disabled (固定Token已禁用)", "use AccessToken auth: `Authorization: QQBot <access_token>`, not `Bot appid.token`";
    11251 [auth] => "appid invalid", "check QQBOT_APP_ID";
    11253 => "the app lacks permission for this API", "apply for the API permission in the QQ console";
    11261 [auth] => "appid missing or invalid", "check QQBOT_APP_ID";
    11264 => "guild authorisation not granted", "the guild owner must authorise the bot";
    11265 => "bot banned", "see the QQ console";
    11275 [auth] => "appid invalid", "check QQBOT_APP_ID";
    11298 [auth] => "source IP not on the IP whitelist (接口访问源IP不在白名单)", "add this machine's egress IP in the QQ console (开发设置 → IP白名单), or use the sandbox, where the whitelist is not enforced";
    20028 [rate] => "channel write rate limit", "slow down: at most 5 messages per second per channel";
    22009 [rate] => "message limit exceeded (msg limit exceed)", "too many messages: slow down, and note that each received message takes at most 5 replies";
    100001 => "too many requests (gateway URL rate limit)", "cache the gateway URL; wait 60 s";
    100002 => "token endpoint internal error (often: appId sent as a number)", "send appId and clientSecret as JSON strings";
    100007 => "appid invalid (or the body was not sent as application/json)", "POST the token request with `Content-Type: application/json`; check the app id";
    100016 => "invalid app secret", "check QQBOT_SECRET (the AppSecret in the QQ console)";
    304003 => "URL not registered", "register the URL domain in the QQ console before sending it";
    304018 => "bot not connected to the gateway (SESSION_NOT_EXIST)", "guild sends need a live gateway session: keep `qqbot listen` or your bot connected";
    304023 => "proactive message waiting for audit", "queued: the result arrives as MESSAGE_AUDIT_PASS / MESSAGE_AUDIT_REJECT";
    304024 => "reply waiting for audit", "queued: the result arrives as MESSAGE_AUDIT_PASS / MESSAGE_AUDIT_REJECT";
    304026 => "msg_id invalid", "reply to a message id from a received event";
    304027 => "msg_id expired", "passive replies must be sent within 5 min (60 min for C2C); a message can be recalled only within 2 min of sending";
    304028 => "reply not allowed for this msg_id", "check the msg_id belongs to this channel";
    304045 [quota] => "guild proactive message quota exceeded (per channel per day)", "reply to a message instead (passive reply)";
    304046 [quota] => "guild proactive message quota exceeded (per guild per day)", "reply to a message instead (passive reply)";
    304047 [quota] => "proactive DM quota exceeded (per user per day)", "reply to a message instead (passive reply)";
    304048 [quota] => "proactive DM quota exceeded (per bot per day)", "reply to a message instead (passive reply)";
    304049 [quota] => "proactive message quota exceeded", "reply to a message instead (passive reply)";
    304050 [quota] => "proactive message quota exceeded", "reply to a message instead (passive reply)";
    304082 => "rich media: fetching the URL failed", "make the media URL publicly reachable";
    304083 => "rich media: converting the file failed", "check the file type (png/jpg, mp4, silk)";
    40034005 => "reply msg_id expired (回复消息msg_id已过期)", "passive replies must be sent within 5 min (group/guild/DM) or 60 min (C2C) of the message";
    40034024 => "msg_id invalid or not yours (请求参数msg_id无效或越权)", "reply with the id of a message this bot received in this group/chat";
    40034100 [quota] => "proactive message quota exceeded", "proactive group/C2C sends were discontinued on 2025-04-21: reply to a message";
    40034101 => "bot not in the group", "add the bot to the group first";
    40034102 => "proactive message refused (主动消息失败, 无权限)", "proactive group/C2C sends were discontinued on 2025-04-21: send a passive reply instead (the msg_id of a message or the event_id of an event, within the reply window)";
    40054003 => "bot not in the group", "add the bot to the group first";
    40054004 => "not friends with the user", "the user must add the bot first";
    40054005 => "message deduplicated: this (msg_id, msg_seq) was already used (消息被去重，请检查请求msgseq)", "use a new msg_seq for each reply to the same msg_id (qqbot send allocates one automatically)";
    40054013 => "the user refuses proactive messages", "reply to a message instead";
    40054016 => "bot offline", "check the bot's status in the QQ console";
}

/// Look up an error code.
pub fn api_error_info(code: u64) -> Option<&'static ApiErrorInfo> {
    API_ERRORS.iter().find(|info| info.code == code)
}

/// The group of a code, if it is a known credentials, rate-limit or quota code.
pub fn api_error_group(code: u64) -> Option<ErrorGroup> {
    api_error_info(code).and_then(|info| info.group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_the_documented_sets() {
        let of = |group| {
            API_ERRORS
                .iter()
                .filter(|i| i.group == Some(group))
                .map(|i| i.code)
                .collect::<Vec<_>>()
        };
        let auth = [
            11241, 11242, 11243, 11244, 11245, 11251, 11261, 11275, 11298,
        ];
        assert_eq!(of(ErrorGroup::Auth), auth);
        assert_eq!(of(ErrorGroup::RateLimit), [20028, 22009]);
        let quota = [304045, 304046, 304047, 304048, 304049, 304050, 40034100];
        assert_eq!(of(ErrorGroup::Quota), quota);
        assert_eq!(api_error_group(11244), Some(ErrorGroup::Auth));
        assert_eq!(api_error_group(304003), None);
        assert_eq!(api_error_group(1), None);
    }

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in API_ERRORS.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} {}",
                pair[0].code,
                pair[1].code
            );
        }
    }

    #[test]
    fn issue_codes_are_known() {
        for code in [
            11298, 40054005, 40034024, 40034005, 304023, 304024, 22009, 11244, 11245, 100007,
            100016, 304018,
        ] {
            assert!(api_error_info(code).is_some(), "{code}");
        }
        assert!(api_error_info(4009).is_none());
    }
}
