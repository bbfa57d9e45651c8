"""A game-day seat sees the team's blind tools as the host does (observability that shares fate)."""

from __future__ import annotations

import math

import pytest

from simulator.telemetry import Series, mask_series
from simulator.views import ToolStatus
from tui.gameday.feed import SeatFeed
from tui.gameday.protocol import view_payload
from tui.gameday.seat import RemoteSession
from tui.session import LocalSession


def test_mask_series_blanks_points_inside_gaps_only():
    series = Series("web.rate", (290.0, 300.0, 310.0, 900.0), (1.0, 2.0, 3.0, 4.0))
    masked = mask_series(series, [(300.0, 600.0)])
    assert masked.values[0] == 1.0 and masked.values[3] == 4.0
    assert math.isnan(masked.values[1]) and math.isnan(masked.values[2])
    assert math.isnan(mask_series(series, [(300.0, None)]).values[3])  # an open gap blanks to the end


def _quiet() -> LocalSession:
    return LocalSession.start("blind-scaleout-provider-packet-loss", seed=1, journal=False)


def test_the_views_carry_tool_status_and_compression_to_a_seat():
    session = LocalSession.start("blind-scaleout-provider-packet-loss", seed=1, journal=False)
    session.sim.run_until(600)
    decoded = RemoteSession._decode_views(SeatFeed._views(session))
    (tool,) = decoded["tools"]
    assert isinstance(tool, ToolStatus)
    assert (tool.tool, tool.service, tool.down_since) == ("metrics", "monitoring", pytest.approx(240, abs=1))
    assert decoded["compression"] is None


def test_a_seat_knows_why_alerting_is_blind():
    status = ToolStatus("alerting", "monitoring", 240.0, ((240.0, None),), "metrics")
    (decoded,) = RemoteSession._decode_views({**SeatFeed._views(_quiet()), "tools": view_payload([status])})["tools"]
    assert decoded.via == "metrics" and decoded.down_since == 240.0
