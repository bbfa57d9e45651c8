"""Actions: every action of the vocabulary with a form built from its pydantic model's fields."""

from __future__ import annotations

import asyncio
import types
import typing
from typing import Any, Literal

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, OptionList, Select, Static, Switch
from textual.widgets.option_list import Option

from scenarios.language.actions import (
    ACTION_ADAPTER,
    DESTRUCTIVE_ACTIONS,
    MITIGATION_ACTIONS,
    PROCESS_ACTIONS,
    Action,
)
from scenarios.text import clean
from simulator.views import ActionResult
from tui.widgets.common import ActionRequest, Panel
from tui.widgets.option_list import SteadyOptionList

FORM_SETTLE_SECONDS = 0.15
"""Quiet time on the action list before the highlighted action's form is built."""
FORM_KEYS = (
    "[b]↑↓[/] pick an action · [b]Enter[/] fill its form · [b]Tab[/]/[b]shift+Tab[/] next/previous field · "
    "[b]Enter[/] on a choice opens it (type to jump, Enter picks) · [b]ctrl+s[/] apply · "
    "[b]Esc[/] back to the panel keys"
)
"""How to drive the form from the keyboard, shown above it."""
SEVERITY_MATRIX: tuple[tuple[str, str, str, str], ...] = (
    ("SEV1 (P1)", "service down: users cannot use it", "page", "war room within 15 min"),
    ("SEV2 (P2)", "degraded: slow or failing for some users", "page", "war room within 30 min"),
    ("SEV3 (P3)", "minor: little or no user impact", "ticket", "next business day"),
)
"""Severity, when it applies, how to alert, how soon to respond: shown in the severity form."""
SKIPPED_FIELDS = ("action", "at")
"""Fields the form never shows: the discriminator and the schedule (live actions take the current time)."""


def action_models() -> dict[str, type]:
    """Action name -> pydantic model, read from the Action union."""
    union = typing.get_args(Action)[0]
    return {typing.get_args(m.model_fields["action"].annotation)[0]: m for m in typing.get_args(union)}


MODELS = action_models()
ORDER = tuple(sorted(PROCESS_ACTIONS)) + tuple(sorted(MITIGATION_ACTIONS))


def severity_matrix() -> Text:
    """The severity rubric as aligned lines (wraps at 80 columns without losing the columns' sense)."""
    out = Text()
    for sev, when, alert, respond in SEVERITY_MATRIX:
        out.append(f"{sev}  ", style="bold")
        out.append(f"{when}; ")
        out.append(f"{alert}, {respond}\n", style="italic")
    return out


def needs_confirmation(action: Any) -> bool:
    """Destructive actions, and a restart of every instance at once."""
    return action.action in DESTRUCTIVE_ACTIONS or (action.action == "restart" and action.mode == "all")


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return annotation, False


def validation_message(error: ValidationError) -> str:
    """Pydantic errors as `field: message` lines, without the union's noise."""
    lines = []
    for err in error.errors():
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        field = loc[-1] if loc else "action"
        lines.append(f"{field}: {err['msg']}")
    return "; ".join(dict.fromkeys(lines))


class ConfirmAction(ModalScreen[bool]):
    """Asks before a destructive action is sent."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button("Yes, do it (y)", id="confirm-yes", variant="error")
                yield Button("Cancel (n)", id="confirm-no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ActionsPanel(Panel):
    """Pick an action on the left; its form on the right; ctrl+s (or the button) sends it."""

    BINDINGS = [Binding("ctrl+s", "submit", "Apply action", id="actions.apply", priority=True)]

    def compose(self) -> ComposeResult:
        with Horizontal():
            self.offered = self._offered()
            yield SteadyOptionList(*self._options(self.offered), id="action-list")
            form = VerticalScroll(id="action-form")
            form.can_focus = False  # Tab from the action list lands on the first field, not the scroller
            with form:
                yield Static(FORM_KEYS, id="action-keys")
                yield Static("", id="action-doc")
                yield Button("Apply (ctrl+s)", id="action-apply", variant="primary")
                yield Static("", id="action-result")

    service_hint = ""
    """The service the trainee is looking at (set by the console): a required service field starts on it."""
    incident_hint = 0
    """The incident highlighted on the pager (set by the console; 0: none): an incident field starts on it."""

    def _offered(self) -> tuple[str, ...]:
        """The actions this console may take: all those the scenario's system has something for, or a
        game-day seat's role's (``session.allowed``, which the host narrows the same way)."""
        allowed = getattr(self.session, "allowed", None)
        unavailable = getattr(self.session, "unavailable_actions", dict)()
        return tuple(name for name in ORDER if (allowed is None or name in allowed) and name not in unavailable)

    @staticmethod
    def _options(names: tuple[str, ...]) -> list[Option | None]:
        options: list[Option | None] = []
        for name in names:
            if options and name in MITIGATION_ACTIONS and options[-1] is not None and options[-1].id in PROCESS_ACTIONS:
                options.append(None)  # a rule between the process and the mitigation actions
            mark = " !" if name in DESTRUCTIVE_ACTIONS else ""
            options.append(Option(f"{name}{mark}", id=name))
        return options

    def reoffer(self) -> None:
        """Rebuild the action list from the session (a game-day seat's role changed)."""
        offered = self._offered()
        if offered == self.offered:
            return
        self.offered = offered
        option_list = self.query_one("#action-list", OptionList)
        option_list.clear_options()
        option_list.add_options(self._options(offered))
        self.selected = ""
        self._select_first()

    def _select_first(self) -> None:
        if self.offered:
            self.select_action("ack" if "ack" in self.offered else self.offered[0])
            return
        for old in self.query(".action-fields"):
            old.remove()
        self.query_one("#action-doc", Static).update("Your role takes no actions here.")

    def on_mount(self) -> None:
        self.selected = ""
        self._pending: Timer | None = None
        self._building: asyncio.Task | None = None
        if self.query("#action-form"):  # absent if torn down mid-mount (the app closing while pre-warming)
            self._select_first()

    @on(OptionList.OptionHighlighted, "#action-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # Debounced: holding an arrow key rebuilds the form once, after the list settles. Rebuilding
        # on every press raced removals against mounts and could wedge the panel's message queue.
        if self._pending is not None:
            self._pending.stop()
        name = event.option.id
        if name and name != self.selected:
            self._pending = self.set_timer(FORM_SETTLE_SECONDS, lambda: self._settled(name))

    @on(OptionList.OptionSelected, "#action-list")
    async def _chosen(self, event: OptionList.OptionSelected) -> None:
        """Enter on an action: its form now (no debounce), focus on its first field."""
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        name = event.option.id
        if name and name != self.selected:
            self.select_action(name)
        await self.focus_first_field()

    async def focus_first_field(self) -> None:
        """Once the form is built, focus its first field (the apply button when it has none)."""
        if self._building is not None:
            await self._building
        fields = [w for w in self._form.query("Input, Select, Switch") if w.focusable]
        if fields:
            fields[0].focus()
        else:
            self.query_one("#action-apply", Button).focus()

    def _settled(self, name: str) -> None:
        self._pending = None
        if self._building is not None and not self._building.done():
            self._pending = self.set_timer(FORM_SETTLE_SECONDS, lambda: self._settled(name))
            return
        if name != self.selected:
            self.select_action(name)

    def _choices(self, field: str) -> list[str] | None:
        s = self.session
        if field in ("service", "dependency"):
            return [sv.name for sv in s.services()]
        if field == "zone":
            return list(s.briefing().zones)
        if field == "instance":
            return [i.id for i in s.instances()]
        if field == "flag":
            return sorted(s.flags())
        return None

    def _default_choice(self, field: str, choices: list[str]) -> str | None:
        """The service in focus for a service field (an instance of it for an instance field), else the first;
        none for a zone: a system has two or three, and pre-picking one would point at the sick one for some
        seeds (gray-zone-failure's seed 1), so the trainee names it."""
        if field == "zone":
            return None
        hint = self.service_hint
        if field in ("service", "dependency") and hint in choices:
            return hint
        if field == "instance" and hint:
            for inst in self.session.instances(hint):
                if inst.id in choices:
                    return inst.id
        return choices[0]

    def select_action(self, name: str) -> None:
        """Build the form of action ``name`` from its model's fields."""
        self.selected = name
        model = MODELS[name]
        doc = " ".join((model.__doc__ or "").replace("``", "").split())  # reST literals read as plain words
        warn = "  (destructive: asks for confirmation)" if name in DESTRUCTIVE_ACTIONS else ""
        self.query_one("#action-doc", Static).update(
            Content.assemble(
                Content.styled(name, "bold $text-accent"), f"  {doc}", Content.styled(warn, "$text-warning")
            )
        )
        # A fresh container per selection: removal is asynchronous, so quick arrow presses never see
        # two generations of the same field ids side by side.
        for old in self.query(".action-fields"):
            old.remove()
        rows = [
            self._field_row(fname, info) for fname, info in model.model_fields.items() if fname not in SKIPPED_FIELDS
        ]
        if name == "set_severity":
            rows.insert(0, Static(severity_matrix(), id="severity-matrix"))
        self._form = Vertical(*rows, classes="action-fields")
        mounting = self.query_one("#action-form").mount(self._form, before="#action-apply")
        self._building = asyncio.ensure_future(mounting())
        self.query_one("#action-result", Static).update("")
        option_list = self.query_one("#action-list", OptionList)
        index = option_list.get_option_index(name)
        if option_list.highlighted != index:
            option_list.highlighted = index

    def _field_row(self, fname: str, info: Any) -> Horizontal:
        base, optional = _unwrap(info.annotation)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        optional = optional or not info.is_required()
        wid = f"field-{fname}"
        choices = self._choices(fname)
        widget: Any
        if typing.get_origin(base) is Literal:
            values = [str(v) for v in typing.get_args(base)]
            widget = Select(
                [(v, v) for v in values], id=wid, value=default if default in values else values[0], allow_blank=False
            )
        elif base is bool:
            widget = Switch(value=bool(default), id=wid)
        elif choices is not None and choices:
            chosen = None if optional else self._default_choice(fname, choices)
            widget = Select(
                [(c, c) for c in choices],
                id=wid,
                allow_blank=chosen is None,
                prompt="(none)" if optional else f"choose a {fname}",
                value=Select.NULL if chosen is None else chosen,
            )
        elif base in (int, float):
            if fname == "incident_number" and self.incident_hint:
                default = self.incident_hint  # the incident highlighted on the pager
            widget = Input(
                value="" if default is None else str(default),
                id=wid,
                type="integer" if base is int else "number",
                placeholder="a whole number" if base is int else "a number",
            )
        elif typing.get_origin(base) is list:
            widget = Input(id=wid, placeholder="comma-separated")
        else:
            widget = Input(
                value=default if isinstance(default, str) else "",
                id=wid,
                placeholder="optional" if optional else "required",
            )
        label = Label(fname + ("" if optional else " *"), classes="field-label")
        # A docstring's line breaks are the source's, not the panel's: rejoin before the label wraps it.
        words = " ".join((info.description or "").replace("``", "").split())
        help_text = Label(words, classes="field-help", markup=False)
        return Horizontal(label, widget, help_text, classes="field-row")

    def form_payload(self) -> dict[str, Any]:
        """The form's values as a dict for ACTION_ADAPTER (blank optional fields left out)."""
        payload: dict[str, Any] = {"action": self.selected}
        for fname, info in MODELS[self.selected].model_fields.items():
            if fname in SKIPPED_FIELDS:
                continue
            widget = self._form.query_one(f"#field-{fname}")
            if isinstance(widget, Switch):
                payload[fname] = widget.value
            elif isinstance(widget, Select):
                if widget.value is not Select.NULL:
                    payload[fname] = widget.value
            elif isinstance(widget, Input):
                text = widget.value.strip()
                if not text:
                    continue
                base, _ = _unwrap(info.annotation)
                payload[fname] = (
                    [p.strip() for p in text.split(",") if p.strip()] if typing.get_origin(base) is list else text
                )
        return payload

    def set_field(self, fname: str, value: Any) -> None:
        """Fill one field of the current form (used by tests and by the console)."""
        widget = self._form.query_one(f"#field-{fname}")
        if isinstance(widget, Input):
            widget.value = str(value)
        else:
            widget.value = value  # type: ignore[union-attr]

    def action_submit(self) -> None:
        if not self.selected:
            self.show_message("Your role takes no actions here.", "$text-warning")
            return
        payload = self.form_payload()
        try:
            ACTION_ADAPTER.validate_python(payload)
        except ValidationError as err:
            self.show_message(f"Not sent: {validation_message(err)}", "$text-error")
            return
        self.post_message(ActionRequest(payload))

    @on(Button.Pressed, "#action-apply")
    def _apply_pressed(self) -> None:
        self.action_submit()

    def show_result(self, result: ActionResult) -> None:
        if result.accepted:
            self.show_message(f"Accepted: {result.message}", "$text-success")
        else:
            self.show_message(f"Rejected by the system: {result.message}", "$text-error bold")

    def show_message(self, text: str, style: str) -> None:
        self.query_one("#action-result", Static).update(Content.styled(clean(text, keep_newlines=True), style))
