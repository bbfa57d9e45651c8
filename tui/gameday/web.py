"""The shared screen: a read-only spectator console in a browser for the room's projector.

textual-serve runs ``misfortune join --spectator`` per browser tab and streams it to xterm.js. Every
request needs the game day's token (``/?token=T`` sets an HttpOnly cookie the page's websocket then
carries); it listens on loopback unless told otherwise. The seat it opens is read-only on the host.
"""

from __future__ import annotations

import os
import secrets
import shlex
import sys

from aiohttp import web
from textual_serve.server import Server

TOKEN_ENV = "MISFORTUNE_TOKEN"
"""Environment variable `misfortune join` reads the token from (keeps it off the command line)."""
COOKIE = "misfortune_token"


class SpectatorWeb:
    """The spectator page, served from the host's event loop."""

    def __init__(self, seat_address: str, token: str, bind: str = "127.0.0.1", port: int = 7421) -> None:
        self.token = token
        self.bind = bind
        self.port = port
        command = [sys.executable, "-m", "tui.cli", "join", seat_address, "--role", "observer"]
        command += ["--name", "projector", "--spectator"]
        self.server = Server(shlex.join(command), host=bind, port=port, title="misfortune · game day")
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The address to open on the projector (token included)."""
        return f"http://{self.bind}:{self.port}/?token={self.token}"

    def _allowed(self, request: web.Request) -> bool:
        given = request.query.get("token") or request.cookies.get(COOKIE) or ""
        return secrets.compare_digest(given.encode(), self.token.encode())

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        if not self._allowed(request):
            return web.Response(status=403, text="misfortune game day: a valid ?token= is required\n")
        response = await handler(request)
        if request.query.get("token"):
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
        return response

    async def start(self) -> None:
        """Listen; the spectator seat reads the token from the environment."""
        os.environ[TOKEN_ENV] = self.token
        app = await self.server._make_app()
        app.middlewares.append(self._guard)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.bind, self.port)
        await site.start()
        if self.port == 0:
            self.port = site._server.sockets[0].getsockname()[1]
            self.server.port = self.port
            self.server.public_url = f"http://{self.bind}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
