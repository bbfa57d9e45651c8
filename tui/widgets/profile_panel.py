"""Profiles: take a CPU profile, heap profile, thread dump or crash report of an instance and read it.

Taking one costs simulated time (a 30 s CPU profile is ready 30 s later, like a real one); every one
taken stays in the list, so a healthy and a sick instance (or two versions) can be compared. The
engine builds them (simulator.diagnostics.desk) and draws them as text (simulator.diagnostics.text); this
panel only asks, lists and shows, colouring the flame graph.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Label, Select, Static

from scenarios.durations import format_clock
from simulator.diagnostics import (
    CPU_SECONDS,
    DEFAULT_CPU_SECONDS,
    CpuProfile,
    ProfileError,
    ProfileRequest,
    flame_rows,
    render,
)
from tui.widgets.common import Panel, set_rows
from tui.widgets.table import ContentTable
from tui.widgets.text import plain

KINDS = (
    ("cpu", "CPU profile", "u"),
    ("heap", "Heap", "e"),
    ("threads", "Thread dump", "r"),
    ("crash", "Crash report", "k"),
)
"""Kind, button label, key."""
FLAME_COLOURS = ("#d9480f", "#e8590c", "#f08c00", "#f59f00", "#fab005", "#e67700")
"""Warm colours, as flame graphs are drawn."""


class ProfilePanel(Panel):
    """Instance chooser, take buttons, the list of profiles taken, and the one being read."""

    BINDINGS = [Binding(key, f"take('{kind}')", label, id=f"profiles.{kind}") for kind, label, key in KINDS]

    @dataclass
    class Taken(Message):
        """A profile or dump was asked for (evidence candidate once ready)."""

        reference: str

    def __init__(self, session, *, id: str | None = None) -> None:
        super().__init__(session, id=id)
        self.instance = ""
        """Instance the next profile is taken of."""
        self.request_ids: list[int] = []
        self.viewing: int | None = None

    def compose(self) -> ComposeResult:
        yield Label(
            "Profiles and dumps of an instance  [u] CPU  [e] heap  [r] threads  [k] crash report  [enter] read",
            classes="panel-title",
            markup=False,
        )
        with Horizontal(id="profile-controls"):
            yield Select([], id="profile-instance", prompt="instance", allow_blank=True)
            yield Select(
                [(f"{s:g}s", s) for s in CPU_SECONDS],
                id="profile-seconds",
                value=DEFAULT_CPU_SECONDS,
                allow_blank=False,
            )
            for kind, label, _key in KINDS:
                yield Button(label, id=f"take-{kind}", compact=True)
        yield Static("", id="profile-status")
        yield ContentTable(id="profile-list", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="profile-scroll"):
            yield Static("", id="profile-view")

    def on_mount(self) -> None:
        # The instance list is filled when the panel is first shown: mounting stays cheap and quiet.
        for widget in self.query("#profile-list").results(DataTable):  # absent if torn down mid-mount
            widget.add_columns("#", "kind", "instance", "version", "taken", "status")

    # --- choosing --------------------------------------------------------------------------------

    def _fill_instances(self) -> None:
        instances = self.session.instances()
        select = self.query_one("#profile-instance", Select)
        options = [(f"{i.id} ({i.version}, {i.state})", i.id) for i in instances]
        if getattr(select, "_profile_options", None) != options:
            select._profile_options = options  # type: ignore[attr-defined]
            select.set_options(options)
        if not self.instance and instances:
            mine = [i for i in instances if i.service == self.service_hint]
            self.instance = (mine or instances)[0].id
        if any(i.id == self.instance for i in instances):
            select.value = self.instance

    service_hint = ""
    """The service the trainee is looking at (set by the console): the first pick is one of its instances."""

    def select_instance(self, instance: str) -> None:
        """Profile this instance next (the console calls it when an instance is chosen elsewhere)."""
        self.instance = instance
        self._fill_instances()
        self._status(f"instance {instance}: [u] CPU profile, [e] heap, [r] thread dump, [k] crash report")

    @on(Select.Changed, "#profile-instance")
    def _instance_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self.instance = event.value

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("take-"):
            self.action_take(event.button.id.removeprefix("take-"))

    # --- taking and reading ------------------------------------------------------------------------

    def action_take(self, kind: str) -> None:
        """Start taking a ``kind`` profile of the chosen instance."""
        if not self.instance:
            self._fill_instances()
        if not self.instance:
            self._status("choose an instance first", error=True)
            return
        seconds = self.query_one("#profile-seconds", Select).value
        seconds = float(seconds) if isinstance(seconds, int | float) else DEFAULT_CPU_SECONDS
        try:
            req = self.session.take_profile(kind, self.instance, seconds)
        except ProfileError as err:
            self._status(str(err), error=True)
            return
        self.request_ids.append(req.id)
        self.viewing = req.id
        self._status(
            f"taking {_kind_label(req)} of {req.instance}: ready at {format_clock(req.ready_at)} "
            f"({req.seconds:g}s of simulated time)"
        )
        self.post_message(self.Taken(f"profile:{kind}:{req.instance}"))
        self.refresh_from_session()

    def refresh_from_session(self) -> None:
        self._fill_instances()
        requests = [r for r in (self.session.profile_request(i) for i in self.request_ids) if r is not None]
        rows = []
        for r in requests:
            inst_version = r.result.version if r.ready and r.error is None else ""
            status = (
                "ready"
                if r.ready and r.error is None
                else ("failed" if r.error else f"until {format_clock(r.ready_at)}")
            )
            rows.append((str(r.id), _kind_label(r), r.instance, inst_version, format_clock(r.requested_at), status))
        set_rows(self.query_one("#profile-list", DataTable), rows, [str(r.id) for r in requests])
        self._show(self.viewing)

    @on(DataTable.RowSelected, "#profile-list")
    def _read(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.viewing = int(event.row_key.value)
            self._show(self.viewing)

    def _show(self, request_id: int | None) -> None:
        view = self.query_one("#profile-view", Static)
        req = self.session.profile_request(request_id) if request_id is not None else None
        if req is None:
            view.update(
                "Nothing taken yet. Choose an instance and take a profile; compare a sick one with a healthy one."
            )
            return
        if req.error is not None:
            view.update(plain(f"{_kind_label(req)} of {req.instance} failed: {req.error}", "bold red"))
            return
        if req.result is None:
            view.update(
                plain(f"{_kind_label(req)} of {req.instance} in progress: ready at {format_clock(req.ready_at)}.")
            )
            return
        self._status(f"reading #{req.id}: {_kind_label(req)} of {req.instance}")
        view.update(profile_renderable(req.result, max(self.size.width - 4, 60)))

    def _status(self, text: str, error: bool = False) -> None:
        self.query_one("#profile-status", Static).update(plain(text, "bold red" if error else ""))


def _kind_label(req: ProfileRequest) -> str:
    names = {kind: label for kind, label, _ in KINDS}
    return f"{req.seconds:g}s CPU profile" if req.kind == "cpu" else names[req.kind]


def profile_renderable(result, width: int) -> Text:
    """A profile as Rich text; a CPU profile's flame graph coloured span by span."""
    lines = render(result, width)
    if not isinstance(result, CpuProfile):
        return Text("\n".join(lines))
    cut = lines.index("flame graph (root at the bottom, width = share of samples):") + 1
    out = Text("\n".join(lines[:cut]) + "\n")
    for row in reversed(flame_rows(result, width)):
        x = 0
        for span in row:
            out.append(" " * (span.x - x))
            out.append(span.label[: span.width].ljust(span.width), style=f"black on {_colour(span.function)}")
            x = span.x + span.width
        out.append("\n")
    return out


def _colour(function: str) -> str:
    return FLAME_COLOURS[hashlib.sha256(function.encode()).digest()[0] % len(FLAME_COLOURS)]
