"""The briefing: the on-call situation as a trainee would get it, and the rules. Never the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from scenarios.text import clean
from tui.registry import CLOCK_KEYS_TEXT, SPEED_KEYS
from tui.speeds import SPEEDS
from tui.widgets.text import stack, styled

# The port brings the simulator and the scenario language (~0.5 s): `misfortune play` paints this screen
# before they load (tests/cli/test_lazy_imports.py).
if TYPE_CHECKING:
    from tui.port import Briefing, SessionPort

RUN_SPEEDS = tuple(s for s in SPEEDS if s)
"""Speeds a trainee can start the clock at (paused is not a start)."""


def stars(difficulty: int | None, out_of: int = 5) -> str:
    """Difficulty as filled and empty stars."""
    n = max(0, min(out_of, difficulty or 0))
    return "★" * n + "☆" * (out_of - n)


def speed_label(speed: float) -> str:
    """``1x``, ``60x``, or ``paused``."""
    return f"{speed:g}x" if speed else "paused"


def reflow(text: str) -> str:
    """Join the hard-wrapped lines of each paragraph so the terminal wraps them to its width."""
    return "\n\n".join(" ".join(p.split()) for p in text.strip().split("\n\n"))


def situation_markup(b: Briefing) -> Content:
    """Who is on call, for what, and against which objective."""
    from scenarios.durations import format_duration

    slo = f"{b.slo_availability:g} % of {b.slo_service} requests succeed"
    if b.slo_latency_p99_ms is not None:
        slo += f", p99 under {b.slo_latency_p99_ms:g} ms"
    rows = [
        ("Primary", b.primary),
        ("Secondary", b.secondary),
        ("Service", f"{b.slo_service} (user-facing); also {', '.join(s for s in b.services if s != b.slo_service)}"),
        ("SLO", slo),
        ("Zones", ", ".join(b.zones)),
        ("Exercise", f"{format_duration(b.duration_s)} of simulated time"),
        ("Ack SLA", f"acknowledge a page within {format_duration(b.ack_timeout_s)} or it escalates"),
    ]
    if b.flags:
        rows.append(("Flags", ", ".join(b.flags)))
    return stack([styled((f"{name:<10}", "bold $primary"), " ", value) for name, value in rows])


RULES = """\
• The clock runs in [b]real time at 1x[/]: the pressure is the point. The console's clock keys pause it \
or run it at 2x, 5x, 10x and 60x ([b]?[/] lists every key).
• You are scored on [b]TTD[/] (impact to page), [b]TTA[/] (page to ack), [b]TTM[/] (impact to a stable \
SLI) and [b]TTR[/] (impact to a real, declared fix), against an expert's par.
• Process counts too: acknowledge, set the severity, write a hypothesis before you act, post status \
updates, escalate when stuck. [$error]Harmful actions[/] cost a grade.
• [b]Resolve only when it is fixed[/]: the simulated system judges it, and a premature resolve reopens \
the incident.
• Every action and what you looked at is journalled; quitting keeps the journal for \
[b]misfortune resume[/]."""


class BriefingScreen(Screen):
    """Shown before the clock starts; Enter opens the incident console."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    BINDINGS = [
        Binding("enter", "begin", "Start the incident", id="briefing.begin"),
        Binding("plus,equals_sign", "faster", "Faster clock", id="briefing.faster"),
        Binding("minus", "slower", "Slower clock", id="briefing.slower"),
        # The console's clock keys work here too: one set of clock keys on every screen.
        *(
            Binding(key, f"start_speed({speed})", f"Start at {speed:g}x", show=False, id=f"briefing.speed{speed:g}")
            for key, speed in SPEED_KEYS
        ),
        Binding("escape", "back", "Back to the wheel", id="briefing.back"),
    ]

    speed: reactive[float] = reactive(1.0)

    def __init__(self, session: SessionPort | None, speed: float = 1.0, *, loading: str = "") -> None:
        """The briefing of ``session``; without one yet, the screen shows ``loading`` (the scenario being
        loaded) and the rules, and :meth:`set_session` fills it in (``misfortune play``)."""
        super().__init__()
        self.session = session
        self.info = session.briefing() if session is not None else None
        self.loading_ref = loading
        self._begin_when_loaded = False
        self.set_reactive(BriefingScreen.speed, speed if speed in RUN_SPEEDS else 1.0)
        self.title = f"Briefing: {clean(self.info.title if self.info else loading)}"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="briefing"):
            yield Label(self._title_line(), id="briefing-title")
            yield Static(self._briefing_text(), id="briefing-text", classes="card")
            with Horizontal(id="briefing-columns"):
                with Vertical(classes="card", id="situation"):
                    yield Label("The situation", classes="card-title")
                    yield Static(self._situation(), id="situation-text")
                with Vertical(classes="card", id="rules"):
                    yield Label("Rules of the exercise", classes="card-title")
                    yield Static(RULES)
            yield Static(id="briefing-start")
        yield Footer()

    def _title_line(self) -> Content:
        b = self.info
        if b is None:
            return styled((clean(self.loading_ref), "bold"), "  ", ("loading the scenario…", "$text-muted"))
        return styled(
            (b.title, "bold"), "  ", (stars(b.difficulty), "$warning"), "  ", (" · ".join(b.tags), "$text-muted")
        )

    def _briefing_text(self) -> Content:
        if self.info is None:
            return styled(("Loading the scenario…", "$text-muted"))
        return styled(reflow(clean(self.info.briefing, keep_newlines=True)))

    def _situation(self) -> Content:
        return styled(("…", "$text-muted")) if self.info is None else situation_markup(self.info)

    def set_session(self, session: SessionPort) -> None:
        """The session has loaded: show its briefing (and begin, if Enter was pressed meanwhile)."""
        self.session = session
        self.info = session.briefing()
        self.title = f"Briefing: {clean(self.info.title)}"
        self.query_one("#briefing-title", Label).update(self._title_line())
        self.query_one("#briefing-text", Static).update(self._briefing_text())
        self.query_one("#situation-text", Static).update(self._situation())
        self.watch_speed()
        if self._begin_when_loaded:
            self.action_begin()

    def on_mount(self) -> None:
        self.watch_speed()

    def watch_speed(self) -> None:
        if self.info is None:
            seed: tuple[str, str] | str = ("…", "bold")
            enter = " starts the clock once the scenario is loaded, "
        else:
            seed, enter = (str(self.info.seed), "bold"), " starts the clock, "
        self.query_one("#briefing-start", Static).update(
            styled(
                "Seed ",
                seed,
                " · clock ",
                (speed_label(self.speed), "bold"),
                f" ({CLOCK_KEYS_TEXT}) · ",
                ("Enter", "bold $success"),
                enter,
                ("Esc", "bold"),
                " goes back",
            )
        )

    def action_begin(self) -> None:
        """Open the console with the clock running (once the scenario has loaded)."""
        if self.session is None:
            self._begin_when_loaded = True
            self.watch_speed()
            return
        self.app.begin_incident(self.speed)

    def action_faster(self) -> None:
        """Next faster start speed."""
        i = RUN_SPEEDS.index(self.speed)
        self.speed = RUN_SPEEDS[min(i + 1, len(RUN_SPEEDS) - 1)]

    def action_start_speed(self, speed: float) -> None:
        """Start speed from a number key (the console's speed keys)."""
        self.speed = speed

    def action_slower(self) -> None:
        """Next slower start speed."""
        i = RUN_SPEEDS.index(self.speed)
        self.speed = RUN_SPEEDS[max(i - 1, 0)]

    def action_back(self) -> None:
        """Abandon before starting: back to the wheel."""
        self.app.abandon_briefing()
