"""The process's web server (off unless WEB_PORT is set): health checks and Prometheus metrics, in the bot's
event loop. Routes of other features are added through `bot.web.server.ROUTES`.

This module stays light (the command line imports it for its error); the server is in bot.web.server.
"""

from __future__ import annotations


class WebServerError(Exception):
    """The web server cannot start; the message is one line a person can act on."""


# A platform's state for /health/ready (see bot.web.server.WebServer.add_platform): only OK is ready.
OK = "ok"
CONNECTING = "connecting"
CLOSED = "closed"
