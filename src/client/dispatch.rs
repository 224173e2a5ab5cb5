//! From an item to the handler: lifecycle items to `lifecycle` (READY and RESUMED to their own
//! methods first), dispatches to `dispatch` and then to the typed method of their event. Every
//! call is guarded: an `Err` or a panic goes to [`EventHandler::error`], never further.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;

use futures_util::FutureExt;

use super::Context;
use super::handler::{EventHandler, HandlerError, HandlerResult};
use super::session::Shared;
use crate::gateway::{GatewayItem, ItemKind};
use crate::models::{Event, Ready, ReadyUser};

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Run one handler future; report an `Err` or a panic to the error hook (itself guarded).
async fn guarded<H: EventHandler>(
    handler: &H,
    shared: &Shared,
    ctx: &Context,
    name: &'static str,
    future: impl Future<Output = HandlerResult> + Send,
) {
    let error = match AssertUnwindSafe(future).catch_unwind().await {
        Ok(Ok(())) => return,
        Ok(Err(source)) => HandlerError::Failed {
            handler: name,
            source,
        },
        Err(panic) => HandlerError::Panicked {
            handler: name,
            message: panic_message(&*panic),
        },
    };
    report(handler, shared, ctx, error).await;
}

async fn report<H: EventHandler>(handler: &H, shared: &Shared, ctx: &Context, error: HandlerError) {
    shared.handler_errors.fetch_add(1, Ordering::Relaxed);
    if AssertUnwindSafe(handler.error(ctx.clone(), error))
        .catch_unwind()
        .await
        .is_err()
    {
        tracing::error!("the error handler panicked");
    }
}

/// The event → handler table: each row is a pattern over [`Event`], the handler's name (in
/// [`HandlerError`]) and the method called with the context and the row's arguments. Events
/// without a row (ENTER_AIO, forum, audio, unknown) reach `dispatch` only.
macro_rules! route {
    ($event:expr, $handler:ident, $shared:ident, $ctx:ident;
     $($pattern:pat => $method:ident($($arg:expr),*);)*) => {
        match $event {
            $($pattern => {
                let future = $handler.$method($ctx.clone() $(, $arg)*);
                guarded($handler, $shared, &$ctx, stringify!($method), future).await
            })*
            _ => {}
        }
    };
}

/// Hand one item to the handler (see the module docs).
pub(super) async fn handle_item<H: EventHandler>(
    handler: &H,
    shared: &Shared,
    ctx: Context,
    item: GatewayItem,
) {
    let dispatch = match item.kind {
        ItemKind::Dispatch(dispatch) => dispatch,
        lifecycle => {
            match &lifecycle {
                ItemKind::Ready {
                    session_id,
                    user_id,
                    username,
                    version,
                } => {
                    let ready = Ready {
                        version: *version,
                        session_id: session_id.clone(),
                        user: ReadyUser {
                            id: user_id.clone(),
                            username: username.clone(),
                            bot: true,
                        },
                        shard: Some(item.shard.as_array()),
                    };
                    let future = handler.ready(ctx.clone(), ready);
                    guarded(handler, shared, &ctx, "ready", future).await;
                }
                ItemKind::Resumed { .. } => {
                    let future = handler.resumed(ctx.clone());
                    guarded(handler, shared, &ctx, "resumed", future).await;
                }
                _ => {}
            }
            let item = GatewayItem {
                kind: lifecycle,
                ..item
            };
            let future = handler.lifecycle(ctx.clone(), item);
            guarded(handler, shared, &ctx, "lifecycle", future).await;
            return;
        }
    };
    let event = Event::parse(&dispatch.t, dispatch.d());
    let future = handler.dispatch(ctx.clone(), dispatch);
    guarded(handler, shared, &ctx, "dispatch", future).await;
    let event = match event {
        Ok(event) => event,
        Err(error) => {
            report(handler, shared, &ctx, HandlerError::BadPayload(error)).await;
            return;
        }
    };
    route! { event, handler, shared, ctx;
        Event::Ready(ready) => ready(ready);
        Event::Resumed => resumed();
        Event::AtMessageCreate(m) => at_message_create(m);
        Event::MessageCreate(m) => message_create(m);
        Event::DirectMessageCreate(m) => direct_message_create(m);
        Event::GroupAtMessageCreate(m) | Event::GroupMessageCreate(m) => group_at_message_create(m);
        Event::C2cMessageCreate(m) => c2c_message_create(m);
        Event::GuildCreate(g) => guild_create(g);
        Event::GuildUpdate(g) => guild_update(g);
        Event::GuildDelete(g) => guild_delete(g);
        Event::ChannelCreate(c) => channel_create(c);
        Event::ChannelUpdate(c) => channel_update(c);
        Event::ChannelDelete(c) => channel_delete(c);
        Event::GuildMemberAdd(m) => guild_member_add(m);
        Event::GuildMemberUpdate(m) => guild_member_update(m);
        Event::GuildMemberRemove(m) => guild_member_remove(m);
        Event::MessageReactionAdd(r) => message_reaction_add(r);
        Event::MessageReactionRemove(r) => message_reaction_remove(r);
        Event::InteractionCreate(i) => interaction_create(i);
        Event::FriendAdd(e) => friend_add(e);
        Event::FriendDel(e) => friend_del(e);
        Event::C2cMsgReject(e) => c2c_msg_setting(e, false);
        Event::C2cMsgReceive(e) => c2c_msg_setting(e, true);
        Event::GroupAddRobot(e) => group_add_robot(e);
        Event::GroupDelRobot(e) => group_del_robot(e);
        Event::GroupMsgReject(e) => group_msg_setting(e, false);
        Event::GroupMsgReceive(e) => group_msg_setting(e, true);
        Event::MessageDelete(e) | Event::PublicMessageDelete(e) | Event::DirectMessageDelete(e) => message_delete(e);
        Event::MessageAuditPass(a) => message_audit_pass(a);
        Event::MessageAuditReject(a) => message_audit_reject(a);
    }
}
