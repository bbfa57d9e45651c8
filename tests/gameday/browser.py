"""A headless Chromium driven over the DevTools protocol (aiohttp websocket), for the spectator page tests.

No playwright: the system's ``chromium`` (``apt-get install chromium``) and aiohttp, which textual-serve
already brings, are enough to load a page, read the DOM and take a screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-port=0",
)

START_TIMEOUT = 60.0
"""Seconds Chromium may take to open its DevTools endpoint (slow on a loaded machine)."""
CALL_TIMEOUT = 60.0
"""Seconds a DevTools command, or a page load, may take."""


def find_chromium() -> str | None:
    """The Chromium executable on PATH, if any."""
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


class Browser:
    """One headless Chromium with one page; ``async with Browser(exe, profile) as b: await b.goto(url)``."""

    def __init__(self, executable: str, profile: Path, width: int = 1280, height: int = 800) -> None:
        self.executable = executable
        self.profile = profile
        self.size = (width, height)
        self._ids = itertools.count(1)
        self._proc: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.events: list[dict[str, Any]] = []
        """DevTools events that arrived while waiting for answers (websocket frames among them)."""

    async def __aenter__(self) -> Browser:
        width, height = self.size
        self._proc = await asyncio.create_subprocess_exec(
            self.executable,
            *FLAGS,
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        while not (port_file.exists() and port_file.read_text().strip()):  # written once it listens
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"{self.executable} did not start its DevTools endpoint in {START_TIMEOUT:g}s")
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        self._http = aiohttp.ClientSession()
        async with self._http.get(f"http://127.0.0.1:{port}/json/list") as response:
            pages = [t for t in await response.json() if t["type"] == "page"]
        self._ws = await self._http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)
        await self.call("Page.enable")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            await self._proc.wait()

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command; its result (events that arrive meanwhile are kept in ``events``)."""
        assert self._ws is not None
        ident = next(self._ids)
        await self._ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self._ws.receive_str(), CALL_TIMEOUT))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            if "method" in message:
                self.events.append(message)

    def websocket_bytes(self) -> bytes:
        """Everything the page's websockets received so far (after ``Network.enable``), binary frames decoded."""
        out = b""
        for event in self.events:
            if event["method"] == "Network.webSocketFrameReceived":
                response = event["params"]["response"]
                data = response.get("payloadData", "")
                out += base64.b64decode(data) if response.get("opcode") == 2 else data.encode()
        return out

    async def goto(self, url: str) -> None:
        """Navigate and wait for the document to load."""
        await self.call("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = CALL_TIMEOUT) -> bool:
        """Poll until ``expression`` is truthy; False on timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if await self.evaluate(expression):
                return True
            await asyncio.sleep(0.1)
        return False

    async def screenshot(self) -> bytes:
        """The visible page as PNG bytes."""
        result = await self.call("Page.captureScreenshot", format="png")
        return base64.b64decode(result["data"])
