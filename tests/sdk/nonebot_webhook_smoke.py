"""Run NoneBot 2's QQ adapter (unmodified) in webhook mode as the receiver of a qqbot emulator.

Usage: python3 nonebot_webhook_smoke.py APP_ID SECRET EVENTS

The script binds its listening socket first and prints `{"kind": "listening", "port": N}`; then
it reads the emulator's API base and token URL from one line of stdin (the emulator, started with
that port as its webhook URL, exists only then). NoneBot serves its webhook there (`/qq/webhook`,
the FastAPI driver, run by uvicorn on the socket already bound) and checks every
request the emulator sends: the op 13 validation (it signs the `plain_token` with the key derived
from the secret) and each event's `X-Signature-Ed25519` (it answers 403 to a bad one). Only the
base URLs change, through the adapter's own settings.

Prints one JSON line per milestone (`event`, `reply`) and exits 0 after EVENTS message events
with a reply tried for the first of each type, or 3 after a 60 s watchdog.
"""

import os
import socket
import sys

import uvicorn

import nonebot
from smoke import say, watchdog
from nonebot import on_message
from nonebot.adapters.qq import ActionFailed, Adapter, Bot, MessageEvent

app_id, secret, wanted = sys.argv[1:4]
wanted = int(wanted)


watchdog()

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
say(kind="listening", port=listener.getsockname()[1])
api_base, token_url = sys.stdin.readline().split()

nonebot.init(
    driver="~fastapi+~httpx",
    qq_api_base=api_base.rstrip("/") + "/",
    qq_auth_base=token_url,
    qq_bots=[{"id": app_id, "secret": secret, "use_websocket": False}],
    log_level="WARNING",
)
nonebot.get_driver().register_adapter(Adapter)

events = []
replied = set()
matcher = on_message()


@matcher.handle()
async def handle(bot: Bot, event: MessageEvent):
    name = event.get_event_name()
    events.append(name)
    say(kind="event", t=name, id=event.event_id)
    if name not in replied:
        replied.add(name)
        try:
            await bot.send(event, "pong")
            say(kind="reply", t=name, ok=True)
        except ActionFailed as e:
            say(kind="reply", t=name, ok=False, code=getattr(e, "code", None), error=str(e))
    if len(events) >= wanted:
        say(kind="done")
        os._exit(0)


uvicorn.Server(uvicorn.Config(nonebot.get_asgi(), log_level="warning")).run(sockets=[listener])
