"""What the Python SDK scripts share: milestone lines on stdout and a watchdog."""

import json
import os
import threading


def say(**fields):
    """One JSON milestone line (the test reads these; the SDK's own output is skipped)."""
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def _expire():
    say(kind="timeout")
    os._exit(3)


def watchdog(seconds=60):
    """Exit 3, saying so, if the script is still running after `seconds`."""
    timer = threading.Timer(seconds, _expire)
    timer.daemon = True
    timer.start()


BOTPY_TOKEN_URL = "https://bots.qq.com/app/getAppAccessToken"


def point_botpy_at(api_base, token_url):
    """Change only botpy's base URLs: its OpenAPI route class points at `api_base`, and requests
    to its hard-coded token host go to `token_url`. Everything else stays botpy's own code."""
    from urllib.parse import urlparse

    import aiohttp
    from botpy import http as botpy_http

    parsed = urlparse(api_base)
    botpy_http.Route.SCHEME = parsed.scheme
    botpy_http.Route.DOMAIN = parsed.netloc
    botpy_http.Route.SANDBOX_DOMAIN = parsed.netloc

    original = aiohttp.ClientSession._request

    async def _request(self, method, url, *args, **kwargs):
        if str(url) == BOTPY_TOKEN_URL:
            url = token_url
        return await original(self, method, url, *args, **kwargs)

    aiohttp.ClientSession._request = _request
