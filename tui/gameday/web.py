"""The shared screen: a read-only spectator console in a browser for the room's projector.

textual-serve runs ``misfortune join --spectator`` per browser tab and streams it to xterm.js. Every
request needs the game day's token: ``/?token=T`` sets an HttpOnly cookie and redirects to ``/``
(so the token does not stay on the projected address bar); the page and its websocket then carry
the cookie. A request without it gets 403 and a line in the facilitator's feed. It listens on
loopback unless told otherwise; the seat it opens is read-only on the host.
"""

from __future__ import annotations

import logging
import os
import secrets
import shlex
import sys
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from textual_serve.server import Server

from scenarios.text import clean

if TYPE_CHECKING:
    from tui.gameday.host import GameHost

TOKEN_ENV = "MISFORTUNE_TOKEN"
"""Environment variable `misfortune join` reads the token from (keeps it off the command line)."""
COOKIE = "misfortune_token"
DEFAULT_WEB_PORT = 7421
WILDCARD = {"", "0.0.0.0", "::"}
MAX_PATH_SHOWN = 120
"""Longest request path quoted in the facilitator's feed (the rest is cut)."""

log = logging.getLogger("misfortune.gameday.web")


class HttpLog:
    """aiohttp's server log for the spectator page: a malformed request is a refusal, not a traceback.

    aiohttp answers a request it cannot parse with 400 and logs it with the raw bytes and a traceback;
    here it becomes one line in the facilitator's feed in the host's own words. Anything else aiohttp
    reports (an error in a handler: a bug) is logged in full.
    """

    def __init__(self, host: GameHost) -> None:
        self.host = host

    def debug(self, *args: Any, **kwargs: Any) -> None:
        """aiohttp's debug chatter (non-HTTP bytes on the port among it): dropped."""

    def exception(self, message: str, *args: Any, exc_info: Any = None, **kwargs: Any) -> None:
        """An error while handling a request: a refusal when the request was malformed, else logged in full."""
        if isinstance(exc_info, HttpProcessingError):
            peer = clean(args[0]) if args else "?"
            self.host.refuse_web(peer, f"malformed HTTP request ({exc_info.code})")
            return
        log.error(message, *args, exc_info=exc_info or True)

    def warning(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Passed on (with any arguments cleaned by the logging of the host's feed)."""
        log.warning(message, *args, **kwargs)

    error = exception


class SpectatorWeb:
    """The spectator page, served from the host's event loop (start it after the host: it needs the seat port)."""

    def __init__(self, host: GameHost, bind: str = "127.0.0.1", port: int = DEFAULT_WEB_PORT) -> None:
        self.host = host
        self.token = host.token
        self.bind = bind
        self.port = port
        self.server: Server | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The address to open on the projector (token included; the page swaps it for a cookie)."""
        return f"http://{self.bind}:{self.port}/?token={self.token}"

    def _command(self) -> str:
        """The seat each browser tab runs: a spectator observer on the host's seat port."""
        # A wildcard bind is not an address to connect to; the host always answers on loopback too.
        seat_host = "127.0.0.1" if self.host.bind in WILDCARD else self.host.bind
        command = [sys.executable, "-m", "tui.cli", "join", f"{seat_host}:{self.host.port}", "--role", "observer"]
        return shlex.join([*command, "--name", "projector", "--spectator"])

    def _allowed(self, request: web.Request) -> bool:
        given = request.query.get("token") or request.cookies.get(COOKIE) or ""
        return secrets.compare_digest(given.encode(), self.token.encode())

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        if not self._allowed(request):
            what = clean(f"{request.method} {request.path}")[:MAX_PATH_SHOWN]
            self.host.refuse_web(request.remote or "?", f"{what}: wrong or missing token")
            return web.Response(status=403, text="misfortune game day: open the spectator URL with its ?token=\n")
        if "token" in request.query:
            # Swap the token in the address bar for an HttpOnly cookie: the projector shows the address.
            rest = {k: v for k, v in request.query.items() if k != "token"}
            target = request.rel_url.with_query(rest) if rest else request.rel_url.with_query(None)
            redirect = web.HTTPSeeOther(location=str(target))
            redirect.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
            raise redirect
        # Absolute URLs in the page (script, websocket) follow the address the browser used.
        assert self.server is not None
        self.server.public_url = f"{request.scheme}://{request.host}"
        return await handler(request)

    async def start(self) -> None:
        """Listen; the spectator seats read the token from the environment, never from the command line."""
        os.environ[TOKEN_ENV] = self.token
        self.server = Server(self._command(), host=self.bind, port=self.port, title="misfortune · game day")
        app = await self.server._make_app()
        app.middlewares.append(self._guard)
        app.on_startup.remove(self.server.on_startup)  # it prints a banner over the facilitator's console
        self._runner = web.AppRunner(app, access_log=None, logger=HttpLog(self.host))
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.bind, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the free port picked when asked for port 0

    async def stop(self) -> None:
        """Close the page and every spectator seat it started."""
        if self._runner is not None:
            await self._runner.cleanup()
