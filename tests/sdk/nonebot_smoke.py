"""Run NoneBot 2 with its QQ adapter (nonebot-adapter-qq, unmodified) against a qqbot emulator.

Usage: python3 nonebot_smoke.py API_BASE TOKEN_URL APP_ID SECRET EVENTS

Only the base URLs change, through the adapter's own settings (`qq_api_base`, `qq_auth_base`).
Everything else (token fetch, /gateway/bot, Identify, heartbeats, READY, parsing each event into
the adapter's pydantic models, passive replies) is NoneBot's own code.

Prints one JSON line per milestone (`connected`, `event`, `reply`) and exits 0 after EVENTS
message events with a reply to the first of each type, or 3 after a 60 s watchdog.
"""

import os
import sys

import nonebot
from smoke import say, watchdog
from nonebot import on_message
from nonebot.adapters.qq import Adapter, Bot, MessageEvent

api_base, token_url, app_id, secret, wanted = sys.argv[1:6]
wanted = int(wanted)


watchdog()

nonebot.init(
    driver="~httpx+~websockets",
    qq_api_base=api_base.rstrip("/") + "/",
    qq_auth_base=token_url,
    qq_bots=[
        {
            "id": app_id,
            "secret": secret,
            "intent": {
                "guild_messages": True,
                "at_messages": True,
                "direct_message": True,
                "c2c_group_at_messages": True,
            },
        }
    ],
    log_level="WARNING",
)
driver = nonebot.get_driver()
driver.register_adapter(Adapter)

events = []
replied = set()


@driver.on_bot_connect
async def connected(bot: Bot):
    say(kind="connected", self_id=bot.self_id)


matcher = on_message()


@matcher.handle()
async def handle(bot: Bot, event: MessageEvent):
    name = event.get_event_name()
    events.append(name)
    say(kind="event", t=name, id=event.event_id, text=event.get_plaintext())
    if name not in replied:
        replied.add(name)
        try:
            await bot.send(event, "pong")
            say(kind="reply", t=name, ok=True)
        except Exception as e:  # the test reports what failed
            say(kind="reply", t=name, ok=False, error=f"{type(e).__name__}: {e}")
    if len(events) >= wanted:
        say(kind="done")
        os._exit(0)


nonebot.run()
