//! [`EventHandler`]: your bot, one method per event with a no-op default.

use crate::gateway::{Dispatch, GatewayItem};
use crate::http::error::BoxError;
use crate::models::{
    C2cMessage, Channel, FriendEvent, GroupMessage, GroupRobotEvent, Guild, GuildMember,
    Interaction, Message, MessageAudit, MessageDelete, MessageReaction, ModelError, Ready,
};

use super::Context;

/// What a handler returns: `Err` is reported to [`EventHandler::error`], never fatal.
pub type HandlerResult = Result<(), BoxError>;

/// Why a handler did not finish cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The handler returned `Err`.
    #[error("handler {handler} failed")]
    Failed {
        /// Which handler method.
        handler: &'static str,
        /// What it returned.
        #[source]
        source: BoxError,
    },
    /// The handler panicked.
    #[error("handler {handler} panicked: {message}")]
    Panicked {
        /// Which handler method.
        handler: &'static str,
        /// The panic message.
        message: String,
    },
    /// The event's `d` could not be typed (its raw form still went to `dispatch`).
    #[error("cannot type the event for its handler")]
    BadPayload(#[source] ModelError),
}

/// Your bot. Every method has a no-op default; implement the ones you need with `async fn`.
///
/// Each event goes to [`EventHandler::dispatch`] (raw, every `t`, known or not) and then to its
/// typed method. Lifecycle items (connected, closed, backoff, fatal, ...) go to
/// [`EventHandler::lifecycle`]. Futures must be `Send`: handlers run on spawned tasks.
#[allow(unused_variables)]
pub trait EventHandler: Send + Sync + 'static {
    /// A shard got READY (a new session).
    fn ready(&self, ctx: Context, ready: Ready) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// A shard resumed its session.
    fn resumed(&self, ctx: Context) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `AT_MESSAGE_CREATE`.
    fn at_message_create(
        &self,
        ctx: Context,
        message: Message,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_CREATE`.
    fn message_create(
        &self,
        ctx: Context,
        message: Message,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `DIRECT_MESSAGE_CREATE`.
    fn direct_message_create(
        &self,
        ctx: Context,
        message: Message,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GROUP_AT_MESSAGE_CREATE` (and `GROUP_MESSAGE_CREATE`).
    fn group_at_message_create(
        &self,
        ctx: Context,
        message: GroupMessage,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `C2C_MESSAGE_CREATE`.
    fn c2c_message_create(
        &self,
        ctx: Context,
        message: C2cMessage,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_CREATE`.
    fn guild_create(
        &self,
        ctx: Context,
        guild: Guild,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_UPDATE`.
    fn guild_update(
        &self,
        ctx: Context,
        guild: Guild,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_DELETE`.
    fn guild_delete(
        &self,
        ctx: Context,
        guild: Guild,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `CHANNEL_CREATE`.
    fn channel_create(
        &self,
        ctx: Context,
        channel: Channel,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `CHANNEL_UPDATE`.
    fn channel_update(
        &self,
        ctx: Context,
        channel: Channel,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `CHANNEL_DELETE`.
    fn channel_delete(
        &self,
        ctx: Context,
        channel: Channel,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_MEMBER_ADD`.
    fn guild_member_add(
        &self,
        ctx: Context,
        member: GuildMember,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_MEMBER_UPDATE`.
    fn guild_member_update(
        &self,
        ctx: Context,
        member: GuildMember,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GUILD_MEMBER_REMOVE`.
    fn guild_member_remove(
        &self,
        ctx: Context,
        member: GuildMember,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_REACTION_ADD`.
    fn message_reaction_add(
        &self,
        ctx: Context,
        reaction: MessageReaction,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_REACTION_REMOVE`.
    fn message_reaction_remove(
        &self,
        ctx: Context,
        reaction: MessageReaction,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `INTERACTION_CREATE`. Acknowledge it with [`Api::ack_interaction`](crate::http::Api::ack_interaction).
    fn interaction_create(
        &self,
        ctx: Context,
        interaction: Interaction,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `FRIEND_ADD`.
    fn friend_add(
        &self,
        ctx: Context,
        event: FriendEvent,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `FRIEND_DEL`.
    fn friend_del(
        &self,
        ctx: Context,
        event: FriendEvent,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `C2C_MSG_REJECT` / `C2C_MSG_RECEIVE`: the user turned proactive messages off / on.
    fn c2c_msg_setting(
        &self,
        ctx: Context,
        event: FriendEvent,
        receive: bool,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GROUP_ADD_ROBOT`.
    fn group_add_robot(
        &self,
        ctx: Context,
        event: GroupRobotEvent,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GROUP_DEL_ROBOT`.
    fn group_del_robot(
        &self,
        ctx: Context,
        event: GroupRobotEvent,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `GROUP_MSG_REJECT` / `GROUP_MSG_RECEIVE`: the group turned proactive messages off / on.
    fn group_msg_setting(
        &self,
        ctx: Context,
        event: GroupRobotEvent,
        receive: bool,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_DELETE`, `PUBLIC_MESSAGE_DELETE` and `DIRECT_MESSAGE_DELETE`
    /// (tell them apart with [`Context::event_type`]).
    fn message_delete(
        &self,
        ctx: Context,
        event: MessageDelete,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_AUDIT_PASS`.
    fn message_audit_pass(
        &self,
        ctx: Context,
        audit: MessageAudit,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// `MESSAGE_AUDIT_REJECT`.
    fn message_audit_reject(
        &self,
        ctx: Context,
        audit: MessageAudit,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// Every dispatch, raw and byte-exact, before its typed method: including `t` values qqbot
    /// has no model for.
    fn dispatch(
        &self,
        ctx: Context,
        dispatch: Dispatch,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// Every non-dispatch item: connected, hello, ready, resumed, closed, backoff, lagged, errors,
    /// fatal.
    fn lifecycle(
        &self,
        ctx: Context,
        item: GatewayItem,
    ) -> impl Future<Output = HandlerResult> + Send {
        async { Ok(()) }
    }
    /// A handler failed or panicked, or an event could not be typed. The default logs a warning.
    fn error(&self, ctx: Context, error: HandlerError) -> impl Future<Output = ()> + Send {
        tracing::warn!(
            event = ctx.event_type().unwrap_or("-"),
            event_id = ctx.event_id().unwrap_or("-"),
            error = %error,
            source = ?std::error::Error::source(&error).map(ToString::to_string),
            "event handler error"
        );
        async {}
    }
}
