"""The container's health check: is the bot's liveness endpoint answering 200? Exit 0 if so, 1 if not.

Run by the image's HEALTHCHECK (and compose.yaml's) inside the container, with the interpreter alone
(urllib: no curl in the image). It reads the settings WEB_HOST and WEB_PORT from the environment, as the
bot does; a host that binds every address (0.0.0.0, ::) is reached through the loopback.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

LIVENESS_PATH = "/health/live"
WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}
TIMEOUT_SECONDS = 4


def liveness_url(environ: dict[str, str]) -> str | None:
    """The URL of the liveness endpoint the settings name, or None when the endpoint is off (no WEB_PORT)."""
    port = environ.get("WEB_PORT", "").strip()
    if not port:
        return None
    host = environ.get("WEB_HOST", "127.0.0.1").strip()
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}{LIVENESS_PATH}"


def main() -> int:
    url = liveness_url(dict(os.environ))
    if url is None:
        print("healthcheck: WEB_PORT is not set, so the health endpoint is off", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        print(f"healthcheck: {url} did not answer: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
