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
