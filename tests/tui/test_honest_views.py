"""Tools an engineer reaches for (issue 14, deliverable 7): every feature flag's state with its history, and
each instance's memory over the last minutes beside the others (which pods leak?)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tests.tui.console_host import ConsoleHost as Host
from tui.session import LocalSession
from tui.widgets.common import BLOCKS
from tui.widgets.dashboards import MEMORY_TREND_SECONDS, MetricChart


def cells(table: DataTable) -> list[list[str]]:
    return [[getattr(c, "plain", str(c)) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_flag_table_shows_each_flags_state_and_history():
    session = LocalSession.start("bad-flag-cohort", seed=1, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(900)
    app = Host(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.screen.action_show_panel("changes")
        await pilot.pause()
        rows = {row[0]: row for row in cells(app.screen.query_one("#flags", DataTable))}
        assert set(rows) == set(session.flags())
        cohort = rows["bundle-discounts"]
        assert cohort[1] == "on (25% rollout)"
        assert "5%" in cohort[3] and "25%" in cohort[3] and cohort[3].index("5%") < cohort[3].index("25%")
        assert rows["dark-mode-banner"][2].startswith("-"), "a change from before the incident, dated before 0"


async def test_each_instance_shows_its_memory_trend_on_a_zero_to_limit_scale():
    session = LocalSession.start("checkout-oom-leak", seed=1, journal=False)
    session.set_speed(0.0)
    session.sim.run_until(1200)
    app = Host(session)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await app.screen.action_show_panel("dashboards")
        await pilot.pause()
        table = app.screen.query_one("#resources", DataTable)
        labels = [str(c.label) for c in table.ordered_columns]
        trend_at = next(i for i, label in enumerate(labels) if label.startswith("memory 10 min"))
        trends = {row[0]: row[trend_at] for row in cells(table)}
        assert set(trends) == {i.id for i in session.instances()}
        for inst in session.instances():
            values = session.metric(
                inst.service, "memory_mb", instance=inst.id, start=session.now - MEMORY_TREND_SECONDS
            )
            bar = trends[inst.id].strip()[-1]
            level = BLOCKS.index(bar)
            expected = 1 + int(values.values[-1] / inst.memory_limit_mb * 7.999)
            assert level == expected, (inst.id, bar, values.values[-1], inst.memory_limit_mb)
        leaking = [i for i in session.instances() if i.service == "checkout"]
        quiet = [i for i in session.instances() if i.service == "catalog"]
        assert max(BLOCKS.index(trends[i.id].strip()[-1]) for i in leaking) > max(
            BLOCKS.index(trends[i.id].strip()[-1]) for i in quiet
        ), "the leaking pods stand out against a quiet service on the same 0-limit scale"


class ChartHost(App):
    """A detail chart alone, 14 rows tall in an 80x16 terminal."""

    def compose(self) -> ComposeResult:
        yield MetricChart(id="chart")

    def on_mount(self) -> None:
        self.query_one(MetricChart).styles.height = 14


async def chart_lines(pilot, title: str, values: tuple[float, ...], metric: str) -> list[str]:
    """The chart's lines once it has plotted ``values`` (one a second)."""
    chart = pilot.app.query_one(MetricChart)
    chart.plot(title, tuple(float(t) for t in range(len(values))), values, [], metric)
    await pilot.pause()
    return str(chart.render()).splitlines()


async def test_the_detail_chart_stands_on_zero_and_says_so():
    async with ChartHost().run_test(size=(80, 16)) as pilot:
        await pilot.pause()
        values = tuple(1000.0 + (t % 3) for t in range(60))  # a small wobble high above zero
        lines = await chart_lines(pilot, "frontend rate (15m)", values, "rate")
        assert "scale from 0/s" in lines[0]
        rows = [line for line in lines[1:] if "█" in line or line.strip().endswith("/s")]
        assert rows[0].split()[0] == "1,002/s", "the top row is labelled with the highest value"
        assert rows[-1].split()[0] == "0/s", "the bottom row is labelled with the floor"
        full = [line.count("█") for line in rows]
        assert full[-1] == full[len(full) // 2] == 60, "bars fill down to zero: the wobble stays small"


async def test_a_tiny_error_ratio_is_labelled_with_the_decimals_it_needs():
    """An error ratio of 0.01-0.02 % fills the chart: its labels must not read 0.0% beside full bars."""
    async with ChartHost().run_test(size=(80, 16)) as pilot:
        await pilot.pause()
        values = tuple(0.0001 + 0.0001 * (t % 2) for t in range(60))
        lines = await chart_lines(pilot, "gateway error_ratio (15m)", values, "error_ratio")
        rows = [line for line in lines[1:] if "█" in line or line.strip().endswith("%")]
        assert rows[0].split()[0] == "0.020%", "the top row reads the highest value, not 0.0%"
        assert "last 0.020%" in lines[0] and "scale from 0.000%" in lines[0]
        lines = await chart_lines(pilot, "gateway error_ratio (15m)", tuple(v * 1000 for v in values), "error_ratio")
        assert lines[1].split()[0] == "20.0%", "one decimal from 1 % up"
