"""The official botpy SDK (qq-botpy, unmodified) replying to every message kind through
reconnects.

Usage: python3 botpy_replies.py API_BASE TOKEN_URL APP_ID SECRET REPLIES

Base URLs are redirected by smoke.point_botpy_at, as in botpy_smoke.py. Each guild @-message, DM, group @-message and C2C
message is answered with a passive reply through botpy's own API (`Message.reply` for guild
messages and DMs, `post_group_message` / `post_c2c_message` with `msg_id` for group and C2C), and
the first guild reply is recalled with botpy's `recall_message`.
botpy's gateway code handles the periodic op 7 + close 4009 itself.

Prints one JSON line per milestone (`ready`, `event` with the message id, `reply`, `failed` on an
exception from a send) and exits 0 after REPLIES replies, or 3 after a 60 s watchdog.
"""

import os
import sys

import botpy
from smoke import point_botpy_at, say, watchdog

api_base, token_url, app_id, secret, wanted = sys.argv[1:6]
wanted = int(wanted)
point_botpy_at(api_base, token_url)

replies = 0
recalled = False


class ReplyClient(botpy.Client):
    async def on_ready(self):
        say(kind="ready", name=self.robot.name)

    async def _answer(self, t, message, send):
        global replies
        say(kind="event", t=t, msg=message.id)
        try:
            result = await send()
        except Exception as error:  # botpy raises its own errors for refused sends
            say(kind="failed", t=t, error=repr(error))
            os._exit(1)
        replies += 1
        say(kind="reply", t=t, ok=bool(result and result.get("id")))
        if replies >= wanted:
            os._exit(0)

    async def on_at_message_create(self, message):
        async def reply_then_recall_the_first():
            result = await message.reply(content="pong")
            global recalled
            if not recalled:
                recalled = True
                await self.api.recall_message(
                    channel_id=message.channel_id, message_id=result["id"], hidetip=True
                )
                say(kind="recall", id=result["id"])
            return result

        await self._answer("AT_MESSAGE_CREATE", message, reply_then_recall_the_first)

    async def on_direct_message_create(self, message):
        await self._answer("DIRECT_MESSAGE_CREATE", message, lambda: message.reply(content="pong"))

    async def on_group_at_message_create(self, message):
        await self._answer(
            "GROUP_AT_MESSAGE_CREATE",
            message,
            lambda: message._api.post_group_message(
                group_openid=message.group_openid, msg_type=0, msg_id=message.id, content="pong"
            ),
        )

    async def on_c2c_message_create(self, message):
        await self._answer(
            "C2C_MESSAGE_CREATE",
            message,
            lambda: message._api.post_c2c_message(
                openid=message.author.user_openid, msg_type=0, msg_id=message.id, content="pong"
            ),
        )


watchdog()
intents = botpy.Intents(public_guild_messages=True, public_messages=True, direct_message=True, guilds=True)
ReplyClient(intents=intents, bot_log=None).run(appid=app_id, secret=secret)
