"""Home: the scenario list, the wheel that picks one, and the seed it will be played with."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, Static

from scenarios.text import clean
from tui.widgets.text import plain, stack, styled

# The catalog, the history and the wheel's odds load after the first frame (see HomeScreen._load): their
# modules bring the scenario language and the simulator (~0.5 s), and the wheel should paint at once.
if TYPE_CHECKING:
    from scenarios.catalog import CatalogEntry
    from simulator.reports import Attempt, DifficultyAdvice
    from tui.wheel import PastResults, Spin


def load_attempts() -> tuple[list[Attempt], str | None]:
    """Past attempts from the history database, and a problem to show (a corrupt database moved aside)."""
    from simulator.reports import HistoryError, open_history_recovering

    try:
        history, warning = open_history_recovering()
    except HistoryError as err:
        return [], str(err)
    with history:
        return history.attempts(), warning


def advice_markup(advice: DifficultyAdvice) -> Content:
    """The difficulty the wheel suggests for the next shift, with the reason and the command."""
    return styled(
        ("Next shift: ", "bold"),
        (advice.level, "bold $accent"),
        f" ({advice.reason})  ",
        (f"misfortune shift --difficulty {advice.level}", "$text-muted"),
    )


def progress_markup(attempts: list[Attempt], advice: DifficultyAdvice | None = None) -> Content:
    """Readiness per fault class, as ``misfortune history`` shows it (median TTR against par), and the
    difficulty suggested next."""
    from simulator.reports import readiness

    if not attempts:
        empty = styled(("No finished attempts yet: your readiness per fault class shows here.", "$text-muted"))
        return stack([empty, advice_markup(advice)]) if advice is not None else empty
    lines = [styled(("Your readiness", "bold"), " ", ("(median TTR vs par · trend)", "$text-muted"))]
    for r in readiness(attempts):
        median = f"{r.median_ttr_ratio:.2f}x" if r.median_ttr_ratio is not None else "unresolved"
        counts = f" {r.resolved}/{r.attempts} resolved  {median:>10}  "
        lines.append(styled(f"{clean(r.fault_class):<11}", counts, (r.trend, "$text-muted")))
    if advice is not None:
        lines.append(advice_markup(advice))
    return stack(lines)


ABOUT = """\
[b $primary]How the wheel works[/]
A spin lands on a scenario at random, but one you have never played comes up twice as often as one \
played once, three times as often as one played twice, and so on; fault classes where your history \
shows you slowest against par come up more often too.

The seed fixes the noise, the traffic and every random event: share it, and a colleague gets the \
very same incident. Type one to replay a session.

[b $primary]What happens next[/]
The briefing tells you what an on-call engineer would know. The clock starts when you press Enter \
there, in real time. You are scored against an expert's par and on how you ran the incident."""


TITLE_MIN = 24
"""Fewest cells a scenario's title gets in the list, however narrow the screen."""
RECORD = "Your record"
BROKEN = "does not load"
"""The record of a file that fails validation."""
TAGS_MIN = 12
"""Fewest cells for the tags column; with less room the list has none (the pick's card shows the tags)."""


def _add_columns(table: DataTable, tags: bool) -> None:
    table.add_column("Scenario", key="title")
    table.add_column("Difficulty", key="difficulty")
    table.add_column(RECORD, key="record")
    if tags:
        table.add_column("Tags", key="tags")


class HomeScreen(Screen):
    """The wheel of misfortune. ``rng`` decides spins and seeds (fixed in tests and snapshots)."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    BINDINGS = [
        Binding("s", "spin", "Spin the wheel", id="home.spin"),
        Binding("enter", "start", "Start the picked scenario", id="home.start"),
        Binding("e", "edit_seed", "Type a seed", id="home.seed"),
        Binding("escape", "skip", "Skip the spin", id="home.skip", show=False),
        Binding("q", "app.quit", "Quit", id="home.quit", show=False),
    ]

    seed: reactive[int] = reactive(0)
    spinning: reactive[bool] = reactive(False)
    _fitted_width = -1

    def __init__(
        self,
        rng: random.Random,
        history: dict[str, PastResults] | None = None,
        attempts: list[Attempt] | None = None,
    ) -> None:
        super().__init__()
        self.rng = rng
        self.entries: list[CatalogEntry] = []
        self.history: dict[str, PastResults] = {} if history is None else history
        self.history_problem: str | None = None
        self.attempts: list[Attempt] = [] if attempts is None else attempts
        self._given = (history is not None, attempts is not None)
        self.loaded = False
        """The catalog, history and seed are in (see :meth:`load`)."""
        self.readiness: dict = {}
        self.advice: DifficultyAdvice | None = None
        self.last_spin: Spin | None = None
        self._spin_step = 0
        self._spin_timer: Timer | None = None
        self.title = "misfortune"

    def load(self) -> None:
        """Read the catalog (headers only; on_mount validates every file in a worker), the journals'
        results, the history's attempts, and draw the first seed. Runs once, after the first frame, or
        earlier if a key needs the catalog before that."""
        if self.loaded:
            return
        from scenarios.catalog import list_scenarios
        from tui.follow_through import difficulty_advice
        from tui.session import journals_dir
        from tui.wheel import new_seed, readiness_of, scan_journals

        self.loaded = True
        self.entries = list_scenarios(validate=False)
        if not self._given[0]:
            self.history = scan_journals(journals_dir())
        if not self._given[1]:
            self.attempts, self.history_problem = load_attempts()
        self.readiness = readiness_of(self.attempts)
        self.advice = difficulty_advice(self.attempts)
        self.seed = new_seed(self.rng)
        played = sum(1 for e in self.entries if e.id in self.history)
        self.query_one("#home-count", Label).update(f"[$text-muted]{len(self.entries)} scenarios · {played} played[/]")
        self.query_one("#progress", Static).update(progress_markup(self.attempts, self.advice))
        self._fill_table()
        self._show_pick()
        if self.history_problem:
            self.notify(
                clean(self.history_problem), title="Progress history", severity="warning", timeout=20, markup=False
            )
        self.set_timer(0.5, self._validate_entries)  # after the first frame: the check holds the GIL

    def compose(self) -> ComposeResult:
        with Horizontal(id="home-title"):
            yield Label("[b $primary]misfortune[/]  [b]the Wheel of Misfortune[/]", id="brand")
            yield Label("[$text-muted]reading the scenarios…[/]", id="home-count")
        with Horizontal(id="home-body"):
            yield DataTable(id="scenarios", cursor_type="row", zebra_stripes=True)
            with Vertical(id="wheel", classes="card"):
                yield Label("The pick", classes="card-title")
                yield Static(id="pick")
                with Horizontal(id="seed-row"):
                    yield Label("Seed ", id="seed-label")
                    yield Input("", type="integer", max_length=9, id="seed", compact=True)
                yield Static(id="wheel-hint")
                yield Static(id="progress")
                yield Static(ABOUT, id="wheel-about")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#scenarios", DataTable)
        _add_columns(table, tags=False)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._fill_table())
        table.focus()
        self._import_catalog_modules()  # the wheel paints first, then reads the catalog

    @work(thread=True, exclusive=True, group="catalog-imports")
    def _import_catalog_modules(self) -> None:
        """Import what :meth:`load` needs off the UI thread, then load: imported on the UI thread
        (~0.5 s), they held the first frame back even when scheduled after it."""
        import scenarios.catalog  # noqa: F401
        import tui.session  # noqa: F401
        import tui.wheel  # noqa: F401

        if self.is_attached:
            self.app.call_from_thread(self.load)

    @work(thread=True, exclusive=True, group="catalog")
    def _validate_entries(self) -> None:
        """Validate every listed file (each variant too); files that fail become error rows."""
        from scenarios.catalog import validate_entry

        checked = [validate_entry(entry) for entry in self.entries]
        if checked != self.entries:
            self.app.call_from_thread(self._show_validated, checked)

    def _show_validated(self, checked: list[CatalogEntry]) -> None:
        self.entries = checked
        self._fill_table()
        self._show_pick()

    def _fill_table(self) -> None:
        """One row per scenario, coloured from the current theme (DataTable cells are Rich text), fitted to
        the table's width (see :meth:`_fit`)."""
        from tui.screens.briefing import stars
        from tui.wheel import PastResults

        colours = self.app.theme_variables
        table = self.query_one("#scenarios", DataTable)
        row = table.cursor_row
        records = {e.id: BROKEN if e.error else self.history.get(e.id, PastResults()).label() for e in self.entries}
        title_room, record_room, tags_room = self._fit(records)
        table.clear(columns=True)  # a column keeps the width of the widest cell it ever held
        _add_columns(table, tags=bool(tags_room))
        for entry in self.entries:
            if entry.error:
                cells = [plain(entry.id), "", Text(BROKEN, style=colours["error"]), ""]
            else:
                label = records[entry.id]
                cells = [
                    plain(entry.title, "bold", keep_newlines=False),
                    Text(stars(entry.difficulty), style=colours["warning"]),
                    Text(label, style=colours["success"] if label == "new" else ""),
                    plain(", ".join(entry.tags), keep_newlines=False),
                ]
            for cell, room in zip(cells, (title_room, 0, record_room, tags_room), strict=True):
                if room and isinstance(cell, Text):
                    cell.truncate(room, overflow="ellipsis")
            table.add_row(*cells[: 4 if tags_room else 3], key=entry.id)
        if self.entries:
            table.move_cursor(row=min(row, len(self.entries) - 1), animate=False)

    def _fit(self, records: dict[str, str]) -> tuple[int, int, int]:
        """Cells for the titles, the records and the tags (0: no tags column), so that the difficulty and
        the record always show (the table does not scroll sideways): a record too long gives way first,
        down to ``BROKEN``'s length, then a title, down to ``TITLE_MIN``; what is cut ends in an ellipsis. The tags
        (also on the pick's card) get what is left, if that is at least ``TAGS_MIN``."""
        table = self.query_one("#scenarios", DataTable)
        width = table.scrollable_content_region.width
        self._fitted_width = width
        # Cells, not characters: a user's title may be in a script two cells wide.
        titles = max((cell_len(e.title) for e in self.entries), default=0)
        record = max(len(RECORD), *map(cell_len, records.values()))
        if width <= 0:  # not laid out yet: whole, until the resize that follows
            return titles, record, 0
        pad = 2 * table.cell_padding
        room = width - (len("Difficulty") + pad) - 2 * pad  # the difficulty, and the title's and record's padding
        record = max(len(BROKEN), min(record, room - titles))
        title = max(TITLE_MIN, min(titles, room - record))
        tags = room - record - title - pad
        return title, record, tags if tags >= TAGS_MIN else 0

    def on_resize(self) -> None:
        if self.loaded:
            self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self.query_one("#scenarios", DataTable).scrollable_content_region.width != self._fitted_width:
            self._fill_table()

    # --- the pick --------------------------------------------------------------------------

    @property
    def picked(self) -> CatalogEntry | None:
        """The scenario under the highlight."""
        self.load()
        table = self.query_one("#scenarios", DataTable)
        if not self.entries:
            return None
        return self.entries[min(table.cursor_row, len(self.entries) - 1)]

    def _show_pick(self) -> None:
        from tui.screens.briefing import stars
        from tui.wheel import PastResults

        entry = self.picked
        pick = self.query_one("#pick", Static)
        if entry is None:
            pick.update("No scenarios found. Add YAML files to your scenarios directory (misfortune list).")
        elif entry.error:
            pick.update(styled((entry.id, "bold"), "\n", (entry.error, "$error")))
        else:
            past = self.history.get(entry.id, PastResults())
            pick.update(
                styled(
                    (entry.title, "bold"),
                    "  ",
                    (stars(entry.difficulty), "$warning"),
                    "\n",
                    (f"{entry.id} · {', '.join(entry.tags)} · {past.label()}", "$text-muted"),
                )
            )
        if self.spinning:
            hint = "[$warning]The wheel is spinning…[/] Esc or Enter stops it"
        else:
            hint = "[b]s[/] spin · [b]Enter[/] start · [b]e[/] type a seed · [b]?[/] keys"
        self.query_one("#wheel-hint", Static).update(hint)

    @on(DataTable.RowHighlighted, "#scenarios")
    def _row_highlighted(self) -> None:
        self._show_pick()

    def watch_spinning(self) -> None:
        if self.is_mounted:
            self._show_pick()

    def watch_seed(self, seed: int) -> None:
        if not self.is_mounted:
            return
        box = self.query_one("#seed", Input)
        if box.value != str(seed):
            box.value = str(seed)

    @on(Input.Changed, "#seed")
    def _seed_typed(self, event: Input.Changed) -> None:
        if event.value != event.input.value:
            return  # the box moved on since (a spin set a new seed): this change is stale
        if event.value.strip().lstrip("-").isdigit():
            self.seed = abs(int(event.value))

    @on(Input.Submitted, "#seed")
    def _seed_submitted(self) -> None:
        self.query_one("#scenarios", DataTable).focus()
        self.action_start()

    # --- the wheel -------------------------------------------------------------------------

    def action_spin(self, animate: bool = True) -> Spin | None:
        """Spin: pick a scenario (unplayed ones favoured) and a fresh seed; animate the highlight."""
        from tui.wheel import spin

        self.load()
        if not any(e.error is None for e in self.entries):
            self.notify("No playable scenario to spin.", severity="error")
            return None
        self._stop_timer()
        table = self.query_one("#scenarios", DataTable)
        result = spin(self.entries, self.history, self.rng, start=table.cursor_row, readiness=self.readiness)
        self.last_spin = result
        self.seed = result.seed
        if animate:
            self.spinning = True
            self._spin_step = 0
            self._spin_timer = self.set_timer(result.delays[0], self._advance_spin)
        else:
            self._land()
        return result

    def _advance_spin(self) -> None:
        spun = self.last_spin
        assert spun is not None
        self.query_one("#scenarios", DataTable).move_cursor(row=spun.path[self._spin_step], animate=False)
        self._spin_step += 1
        if self._spin_step >= len(spun.path):
            self._land()
        else:
            self._spin_timer = self.set_timer(spun.delays[self._spin_step], self._advance_spin)

    def _land(self) -> None:
        self._stop_timer()
        spun = self.last_spin
        assert spun is not None
        self.query_one("#scenarios", DataTable).move_cursor(row=spun.index, animate=False)
        self.spinning = False
        self._show_pick()

    def _stop_timer(self) -> None:
        if self._spin_timer is not None:
            self._spin_timer.stop()
            self._spin_timer = None

    def action_skip(self) -> None:
        """Stop the wheel where it will land (or leave the seed box)."""
        if self.spinning:
            self._land()
        else:
            self.query_one("#scenarios", DataTable).focus()

    # --- starting --------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#scenarios")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_start()

    def action_edit_seed(self) -> None:
        """Focus the seed box."""
        if not self.spinning:
            self.query_one("#seed", Input).focus()

    def action_start(self) -> None:
        """Start the highlighted scenario with the seed shown (Enter during a spin only stops it)."""
        if self.spinning:
            self._land()
            return
        entry = self.picked
        if entry is None:
            return
        if entry.error:
            self.notify(
                clean(f"{entry.id} does not load: misfortune validate {entry.path}"), severity="error", markup=False
            )
            return
        self.app.start_session(entry.id, self.seed)
