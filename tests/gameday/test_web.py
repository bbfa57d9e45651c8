"""The spectator page: served with the token only, loopback by default, and it shows the console.

A real host and the real textual-serve page on ephemeral loopback ports; each page load starts a real
``misfortune join --spectator`` seat process. Chromium tests skip when no Chromium is installed
(``apt-get install chromium``; .ci/run installs it when it runs as root).
"""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from scenarios.language.actions import ACTION_ADAPTER
from tests.gameday.browser import Browser, find_chromium
from tests.gameday.conftest import join
from tui.gameday.web import COOKIE, SpectatorWeb

CHROMIUM = find_chromium()
PATIENCE = 120.0
"""Seconds to wait for a real process (a spectator seat, Chromium) under a loaded machine: generous,
because each wait ends as soon as its condition holds, and failing late is better than failing flaky."""
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on PATH (apt-get install chromium) to load the spectator page"
)


@pytest.fixture
async def web(host):
    """The spectator page of the ``host`` fixture, on a free loopback port."""
    page = SpectatorWeb(host, port=0)
    await page.start()
    yield page
    await page.stop()


def text(screen: bytes) -> bytes:
    """What a terminal shows of ``screen``, less the escape sequences (colours, cursor moves)."""
    return re.sub(rb"\x1b(\[[0-9;?$]*[a-zA-Z]|\][^\x07]*\x07)", b"", screen)


def spectators(host) -> list[str]:
    return [label for label, link in host.seats.items() if link.spectator]


async def eventually(condition, what: str, timeout: float = PATIENCE) -> None:
    """Wait until ``condition()`` holds (AssertionError naming ``what`` after ``timeout`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"no {what} after {timeout:g}s")
        await asyncio.sleep(0.1)


async def test_listens_on_loopback_by_default(web):
    assert web.bind == "127.0.0.1"
    assert web._runner.addresses[0][0] == "127.0.0.1"
    assert web.url == f"http://127.0.0.1:{web.port}/?token={web.token}"


async def test_requests_without_the_token_are_refused_and_logged(host, web):
    base = f"http://127.0.0.1:{web.port}"
    async with aiohttp.ClientSession() as client:
        for path in ("/", "/?token=not-the-token", "/static/js/textual.js"):
            async with client.get(base + path) as response:
                assert response.status == 403, path
                assert "token" in await response.text()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(f"ws://127.0.0.1:{web.port}/ws")
        assert refused.value.status == 403
    assert not spectators(host), "a refused request must not start a seat"
    refusals = [e.text for e in host.feed if e.kind == "refused" and e.seat.startswith("web ")]
    assert len(refusals) == 4 and all("wrong or missing token" in text for text in refusals)


async def test_the_token_becomes_an_httponly_cookie_and_leaves_the_address(web):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(web.url, allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/"
            cookie = response.cookies[COOKIE]
            assert cookie.value == web.token and cookie["httponly"] and cookie["samesite"] == "Strict"
        async with client.get(f"http://127.0.0.1:{web.port}/") as response:  # the cookie alone now suffices
            assert response.status == 200
            assert f"ws://127.0.0.1:{web.port}/ws" in await response.text()


async def test_the_websocket_streams_the_spectator_console(host, web):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(web.url) as response:
            assert response.status == 200
        async with client.ws_connect(f"ws://127.0.0.1:{web.port}/ws?width=120&height=40") as ws:
            await ws.send_json(["resize", {"width": 120, "height": 40}])  # as xterm.js does: then the app draws
            screen = b""
            deadline = asyncio.get_running_loop().time() + PATIENCE  # a seat process starts per tab
            # the status line (the facilitator has not started the clock) and the room feed's title
            while not (re.search(rb"00:00:00 +PAUSED", text(screen)) and b"Room feed" in text(screen)):
                left = deadline - asyncio.get_running_loop().time()
                try:
                    message = await asyncio.wait_for(ws.receive(), max(left, 0.01))
                except TimeoutError:
                    raise AssertionError(f"no console after {PATIENCE:g}s; drawn: {text(screen)[-2000:]!r}") from None
                assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
                if message.type == aiohttp.WSMsgType.BINARY:
                    screen += message.data
            assert b"[a] acknowledge" not in text(screen)  # the spectator is read-only: nothing to ack
            await eventually(lambda: spectators(host), "spectator seat on the host")
            assert all(label.startswith("observer:projector-") for label in spectators(host))
    await eventually(lambda: not spectators(host), "end of the spectator seat after its tab closed")


@needs_chromium
async def test_headless_chromium_shows_the_rooms_feed_incident_and_dashboards(host, web, tmp_path):
    imoc = await join(host, "imoc", "ana")
    host.advance(300)
    await asyncio.to_thread(imoc.apply, ACTION_ADAPTER.validate_python({"action": "set_severity", "severity": "SEV2"}))
    imoc.quit()
    async with Browser(CHROMIUM, tmp_path / "profile") as browser:
        await browser.call("Network.enable")
        await browser.goto(f"http://127.0.0.1:{web.port}/?token=not-the-token")
        assert "open the spectator URL with its ?token=" in await browser.evaluate("document.body.innerText")
        assert not spectators(host)

        await browser.goto(web.url)
        # textual.js marks the body once the app's first output reached the terminal
        assert await browser.wait_for("document.body.classList.contains('-first-byte')", timeout=PATIENCE)
        assert await browser.evaluate("location.search") == "", "the token stays out of the projected address"
        assert await browser.evaluate("document.cookie") == "", "the token cookie is HttpOnly"
        canvas = await browser.evaluate("[...document.querySelectorAll('.textual-terminal canvas')].map(c => c.width)")
        assert canvas and min(canvas) > 0
        assert await browser.evaluate("getComputedStyle(document.querySelector('.intro-dialog')).display") == "none"
        await eventually(lambda: spectators(host), "spectator seat on the host")
        labels = spectators(host)
        assert len(labels) == 1 and host.seats[labels[0]].role == "observer"
        deadline = asyncio.get_running_loop().time() + PATIENCE
        # the first bytes are terminal modes; the console is drawn a moment later
        while len(png := await browser.screenshot()) <= 20_000:  # the intro card ~16 kB, a blank terminal ~4 kB
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.2)
        (tmp_path / "spectator.png").write_bytes(png)
        assert png.startswith(b"\x89PNG") and len(png) > 20_000
        # what Chromium received and drew on its terminal: the feed, the incident's status, the dashboards
        wanted = (b"Room feed", b"ana (IMOC) action: set_severity", b"severity SEV2", b"RED per service")
        while not all(w in text(browser.websocket_bytes()) for w in wanted):
            if asyncio.get_running_loop().time() > deadline:
                drawn = text(browser.websocket_bytes())
                raise AssertionError(f"missing {[w for w in wanted if w not in drawn]}; drawn: {drawn[-1500:]!r}")
            await browser.call("Runtime.evaluate", expression="1")  # lets the next DevTools events in
            await asyncio.sleep(0.2)
