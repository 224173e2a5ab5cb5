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
from urllib.parse import urlparse

import aiohttp
import botpy
from botpy import http as botpy_http
from botpy.message import Message
from smoke import say, watchdog

api_base, token_url, app_id, secret, wanted = sys.argv[1:6]
wanted = int(wanted)
parsed = urlparse(api_base)

# 1. OpenAPI base URL.
botpy_http.Route.SCHEME = parsed.scheme
botpy_http.Route.DOMAIN = parsed.netloc
botpy_http.Route.SANDBOX_DOMAIN = parsed.netloc

# 2. Token URL (botpy hard-codes https://bots.qq.com/app/getAppAccessToken in Token).
_original_request = aiohttp.ClientSession._request


async def _request(self, method, url, *args, **kwargs):
    if str(url) == "https://bots.qq.com/app/getAppAccessToken":
        url = token_url
    return await _original_request(self, method, url, *args, **kwargs)


aiohttp.ClientSession._request = _request

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
