"""Run the official botpy SDK (qq-botpy, unmodified) against a qqbot emulator.

Usage: python3 botpy_smoke.py API_BASE TOKEN_URL APP_ID SECRET EVENTS

Only the base URLs change: botpy's OpenAPI route class points at the emulator, and requests to
botpy's hard-coded token host are rewritten to the emulator's token URL. Everything else (token
fetch, /gateway/bot, Identify, heartbeats, READY and dispatch handling) is botpy's own code.

Prints one JSON line per milestone (`ready`, `event`) and exits 0 after EVENTS events, or 3 after
a 60 s watchdog.
"""

import asyncio
import os
import sys

import botpy
from botpy.message import Message
from smoke import point_botpy_at, say, watchdog

api_base, token_url, app_id, secret, wanted = sys.argv[1:6]
wanted = int(wanted)
point_botpy_at(api_base, token_url)

seen = 0


class SmokeClient(botpy.Client):
    async def on_ready(self):
        say(kind="ready", name=self.robot.name)

    async def _count(self, t, message):
        global seen
        seen += 1
        say(kind="event", t=t, id=getattr(message, "event_id", None))
        if seen >= wanted:
            os._exit(0)

    async def on_at_message_create(self, message: Message):
        await self._count("AT_MESSAGE_CREATE", message)

    async def on_group_at_message_create(self, message):
        await self._count("GROUP_AT_MESSAGE_CREATE", message)

    async def on_c2c_message_create(self, message):
        await self._count("C2C_MESSAGE_CREATE", message)

    async def on_direct_message_create(self, message):
        await self._count("DIRECT_MESSAGE_CREATE", message)


watchdog()
intents = botpy.Intents(public_guild_messages=True, public_messages=True, direct_message=True, guilds=True)
SmokeClient(intents=intents, bot_log=None).run(appid=app_id, secret=secret)
