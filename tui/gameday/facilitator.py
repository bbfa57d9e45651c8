"""The facilitator's console: the hidden truth beside the live system, the clock, injects, rewind, the feed.

It runs in the host's process and event loop and steers the :class:`GameHost` directly.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, Static

from scenarios.durations import format_clock, parse_duration
from scenarios.text import clean
from simulator.reports import action_words, fault_words, fields_words
from simulator.session import Simulation
from tui.gameday.host import DIAL, GameHost
from tui.gameday.personas import FAULT_HELP, PERSONAS, message_of
from tui.gameday.roles import seat_title
from tui.gameday.room_debrief import role_lines, room_markdown
from tui.gameday.room_view import RoomDebriefScreen
from tui.gameday.watch import WatchPort, WatchScreen
from tui.gameday.web import SpectatorWeb
from tui.port import SPEEDS
from tui.widgets.text import stack, styled


def truth_text(sim: Simulation) -> Content:
    """The facilitator's view of the hidden truth: root cause, faults, hints, optional faults, solution."""
    truth = sim.hidden_truth()
    rc = truth["root_cause"]
    out = [
        styled(("Root cause", "bold"), f" {rc['service']} · {rc['category']}"),
        styled(rc.get("summary", "").strip()),
    ]
    out += [styled(), styled(("Faults", "bold"))]
    out += [styled(f"  {fault_words(f)}") for f in truth["faults"]]
    released = {text for _, text in sim.incident.hints}
    out += [styled(), styled(("Hints", "bold"), " (h releases the next)")]
    for i, hint in enumerate(sim.scenario.hints):
        mark = "released" if hint.text in released else f"at {format_clock(hint.after)}"
        out.append(styled(f"  #{i} [{mark}] ", hint.text))
    out += [styled(), styled(("Optional faults", "bold"), " (f injects)")]
    optional = sim.scenario.optional_faults
    out += [styled(f"  #{i} {fault_words(f.model_dump(mode='json'))}") for i, f in enumerate(optional)] or [
        styled("  none")
    ]
    out += [styled(), styled(("Solution", "bold"))]
    out += [
        styled(f"  {format_clock(a.at or 0)} {action_words(a.model_dump(mode='json', exclude_none=True))}")
        for a in sim.scenario.solution
    ]
    return stack(out)


class PromptDialog(ModalScreen[str | None]):
    """One line of input (rewind time, alert service, fault number, an observer's guess)."""

    DEFAULT_CSS = """
    PromptDialog { align: center middle; }
    PromptDialog #prompt { width: 70; height: auto; border: thick $accent; background: $surface; padding: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Label(self.question, markup=False)
            yield Input(placeholder=self.placeholder, id="prompt-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FacilitatorScreen(Screen):
    """Hidden truth | live system | every seat's actions as they happen."""

    DEFAULT_CSS = """
    FacilitatorScreen Horizontal { height: 1fr; }
    FacilitatorScreen .column { width: 1fr; border: round $primary; padding: 0 1; }
    FacilitatorScreen #clock { height: 1; background: $boost; }
    FacilitatorScreen #join { height: auto; color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [
        Binding("space", "toggle_clock", "Pause/run", id="facilitator.pause"),
        Binding("plus,equals_sign", "faster", "Faster", id="facilitator.faster"),
        Binding("minus", "slower", "Slower", id="facilitator.slower"),
        Binding("r", "rewind", "Rewind", id="facilitator.rewind"),
        Binding("h", "hint", "Release hint", id="facilitator.hint"),
        Binding("e", "eta", "Stakeholder ETA", id="facilitator.eta"),
        Binding("a", "alert", "Extra alert", id="facilitator.alert"),
        Binding("f", "fault", "Second fault", id="facilitator.fault"),
        Binding("x", "end", "End incident", id="facilitator.end"),
        Binding("m", "message", "Message as…", id="facilitator.message"),
        Binding("i", "inject_fault", "Inject a fault", id="facilitator.inject"),
        Binding("H", "hint_seat", "Hint to one seat", id="facilitator.hint_seat"),
        Binding("d", "dial", "Difficulty", id="facilitator.dial"),
        Binding("s", "move_message", "Scripted message early/late", id="facilitator.move_message"),
        Binding("w", "watch", "Watch a seat", id="facilitator.watch"),
        Binding("o", "reassign", "Reassign a seat", id="facilitator.reassign"),
        Binding("p", "powers", "Role table", id="facilitator.powers"),
        Binding("b", "room_debrief", "Room debrief", id="facilitator.room_debrief"),
    ]

    def __init__(self, host: GameHost, join_hint: str = "") -> None:
        super().__init__()
        self.host = host
        self.join_hint = join_hint
        self._run_speed = 1.0

    def compose(self) -> ComposeResult:
        yield Static(id="clock")
        yield Static(styled(self.join_hint), id="join")
        with Horizontal():
            with VerticalScroll(classes="column", id="truth-column"):
                yield Static(id="truth")
            with VerticalScroll(classes="column", id="live-column"):
                yield Static(id="live")
            with VerticalScroll(classes="column", id="feed-column"):
                yield Static(id="feed")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#truth-column").border_title = "Hidden truth"
        self.query_one("#live-column").border_title = "Live system"
        self.query_one("#feed-column").border_title = "Seats"
        self.host.listeners.append(self.refresh_view)
        self.refresh_view()

    def on_unmount(self) -> None:
        if self.refresh_view in self.host.listeners:
            self.host.listeners.remove(self.refresh_view)

    # --- what is shown ------------------------------------------------------------------------

    def refresh_view(self) -> None:
        """Re-read the host (called after every push)."""
        host, sim = self.host, self.host.sim
        state = "ENDED" if sim.ended_at is not None else "paused" if host.speed == 0 else f"{host.speed:g}x"
        self.query_one("#clock", Static).update(
            styled(
                " ",
                (format_clock(sim.now), "bold"),
                f" {state} · {sim.scenario.id} seed {sim.seed} · "
                f"{len(host.seats)} seat(s) · port {host.port} token {host.token}",
            )
        )
        self.query_one("#truth", Static).update(self._truth_text())
        self.query_one("#live", Static).update(self._live_text())
        # Seats' words (notes, guesses, refused names, a stranger's hello) are data: never markup.
        lines = [styled(f"{format_clock(e.t)} ", (e.seat, "bold"), f" {e.kind}: ", e.text) for e in host.feed[-60:]]
        self.query_one("#feed", Static).update(stack(lines[::-1]) if lines else styled("no seat yet"))

    def _truth_text(self) -> Content:
        return truth_text(self.host.sim)

    def _live_text(self) -> Content:
        sim = self.host.sim
        sli = sim.sli_status()
        inc = sim.incident_view()
        out = [
            styled(
                f"SLI {sli['availability'] * 100:.3f}% (objective {sli['objective'] * 100:g}%)",
                (" BREACH", "bold red") if sli["breaching"] else "",
                f" · budget burned {sli['budget_burned_pct']:.1f}%",
            ),
            styled(f"incident {inc.state} · severity {inc.severity or '-'} · roles {fields_words(inc.roles) or '-'}"),
            styled(),
        ]
        for s in sim.services():
            versions = ",".join(f"{v}×{n}" for v, n in s.versions.items())
            out.append(
                styled(
                    f"{s.name:<11} {s.rate:7.0f} rps err {s.error_ratio * 100:5.1f}% {s.ready}/{s.desired} {versions}"
                )
            )
        firing = [a for a in sim.alert_list(False) if a.state == "firing"]
        out += [styled(), styled(("Firing", "bold"))] + [styled(f"  {a.severity} {a.name}") for a in firing]
        ops = [op for op in sim.operation_list() if op.finished_at is None]
        out += [styled(), styled(("In flight", "bold"))] + [
            styled(f"  {op.summary} {op.done}/{op.total}") for op in ops
        ]
        report = sim.score()
        out += [styled(), styled(("Score now", "bold"), f" {report.outcome} · grade {report.grade}")]
        out += [styled("  " + line) for line in role_lines(report.roles)]
        host = self.host
        out += [styled(), styled(("Room", "bold"), f" · difficulty {host.difficulty}")]
        for label, link in sorted(host.seats.items()):
            unread = max(0, len(sim.messages()) - link.record.messages_read)
            on_call = f" · {link.record.on_call} on call" if link.record.on_call else ""
            where = link.record.panel or "console"
            out.append(styled(f"  {seat_title(label)}{on_call} · on {where} · {unread} unread"))
        out += [styled("  table: " + line) for line in host.table.differences()]
        return stack(out)

    # --- controls -----------------------------------------------------------------------------

    def action_toggle_clock(self) -> None:
        self.host.set_speed(0.0 if self.host.speed else self._run_speed)
        self.refresh_view()

    def _step_speed(self, step: int) -> None:
        running = [s for s in SPEEDS if s]
        current = self.host.speed or self._run_speed
        index = max(0, min(len(running) - 1, running.index(current) + step))
        self._run_speed = running[index]
        self.host.set_speed(self._run_speed)
        self.refresh_view()

    def action_faster(self) -> None:
        self._step_speed(1)

    def action_slower(self) -> None:
        self._step_speed(-1)

    def action_rewind(self) -> None:
        def answered(text: str | None) -> None:
            if not text:
                return
            try:
                t = parse_duration(text)
            except ValueError as exc:
                self.notify(clean(exc), severity="error", markup=False)
                return
            path = self.host.rewind(t)
            message = f"Rewound to {format_clock(self.host.sim.now)}; new branch {clean(path.name)}"
            self.notify(message, title="Rewind", markup=False)
            self.refresh_view()

        self.app.push_screen(PromptDialog("Rewind to simulated time (e.g. 10m, 1h5m, 300s):", "10m"), answered)

    def action_hint(self) -> None:
        released = {text for _, text in self.host.sim.incident.hints}
        pending = [i for i, h in enumerate(self.host.sim.scenario.hints) if h.text not in released]
        if not pending:
            self.notify("Every hint is out already.")
            return
        self._report(self.host.release_hint(pending[0]))

    def action_eta(self) -> None:
        self._report(self.host.ask_eta())

    def action_alert(self) -> None:
        def answered(service: str | None) -> None:
            if service:
                self._report(self.host.inject(kind="alert", service=service, name=f"HighLatency {service}"))

        names = ", ".join(self.host.sim.service_names())
        self.app.push_screen(PromptDialog(f"Extra alert on which service? ({names})"), answered)

    def action_fault(self) -> None:
        optional = self.host.sim.scenario.optional_faults
        if not optional:
            self.notify("This scenario lists no optional faults.", severity="warning")
            return

        def answered(text: str | None) -> None:
            if text is not None:
                index = int(text) if text.isdigit() else -1
                if not 0 <= index < len(optional):
                    self.notify(f"Pick 0 to {len(optional) - 1}.", severity="error")
                    return
                self._report(self.host.inject(kind="fault", index=index))

        choices = "; ".join(f"{i}: {f.type} on {getattr(f, 'service', '-')}" for i, f in enumerate(optional))
        self.app.push_screen(PromptDialog(f"Which optional fault? {choices}", "0"), answered)

    def action_end(self) -> None:
        self.host.end()
        self.refresh_view()

    # --- the room -----------------------------------------------------------------------------

    def _ask(self, question: str, placeholder: str, then) -> None:
        """One line from the facilitator, handed to ``then`` (a ValueError it raises becomes a toast)."""

        def answered(text: str | None) -> None:
            if not text:
                return
            try:
                said = then(text)
            except ValueError as exc:
                self.notify(clean(exc), severity="error", markup=False)
                return
            if said:
                self.notify(clean(said), markup=False)
            self.refresh_view()

        self.app.push_screen(PromptDialog(question, placeholder), answered)

    def action_message(self) -> None:
        """Write to the room as a persona (a template by number) or as anyone (``SENDER: text``)."""
        menu = "; ".join(
            f"{i}.{j} {p.key}: {t[:40]}" for i, p in enumerate(PERSONAS) for j, t in enumerate(p.templates[:1])
        )

        def send(text: str) -> str:
            result = self.host.message(*message_of(text))
            self._report(result)
            return ""

        self._ask(f"Persona.template (e.g. 0.1) or SENDER: TEXT. {menu}", "@cto (stakeholder): Any news?", send)

    def action_inject_fault(self) -> None:
        def inject(text: str) -> str:
            self._report(self.host.inject_fault(text))
            return ""

        self._ask(f"Fault to start now: {FAULT_HELP}", "latency service=payments factor=8", inject)

    def action_hint_seat(self) -> None:
        def hint(text: str) -> str:
            label, _, words = text.partition(" ")
            reason = self.host.hint_seat(label, words)
            if reason:
                raise ValueError(reason)
            return f"Hint sent to {label}."

        seats = ", ".join(sorted(self.host.seats)) or "no seat yet"
        self._ask(f"SEAT TEXT: a hint to one seat ({seats})", "tloc:bo Compare memory per version.", hint)

    def action_move_message(self) -> None:
        """A scenario's scripted message now or later than written (an early one may say what is not yet so)."""
        messages = self.host.sim.scenario.messages
        if not messages:
            self.notify("This scenario scripts no messages.", severity="warning")
            return

        def move(text: str) -> str:
            index, _, delay = text.partition(" ")
            if not index.isdigit():
                raise ValueError("write NUMBER DELAY, e.g. 0 5m (0s: now)")
            self._report(self.host.move_message(int(index), parse_duration(delay.strip() or "0s")))
            return ""

        menu = "; ".join(f"{i}: {format_clock(m.at)} {m.from_}" for i, m in enumerate(messages))
        self._ask(f"Scripted message NUMBER DELAY (0s = now). {menu}", "0 0s", move)

    def action_dial(self) -> None:
        levels = list(DIAL)
        level = levels[(levels.index(self.host.difficulty) + 1) % len(levels)]
        self.host.set_difficulty(level)
        self.notify(f"Difficulty {level}: {DIAL[level]}", markup=False)
        self.refresh_view()

    def action_watch(self) -> None:
        def watch(label: str) -> str:
            if label not in self.host.seats:
                raise ValueError(f"no seat {label!r} is connected; seats: {', '.join(sorted(self.host.seats))}")
            self.app.push_screen(WatchScreen(WatchPort(self.host, label)))
            return ""

        self._ask(f"Watch which seat? ({', '.join(sorted(self.host.seats)) or 'no seat yet'})", "tloc:bo", watch)

    def action_reassign(self) -> None:
        def reassign(text: str) -> str:
            label, _, role = text.partition(" ")
            new = self.host.reassign(label, role.strip())
            return f"{label} is now {new}."

        self._ask("SEAT ROLE: give a seat another role (imoc, tloc, ops, scribe, observer)", "tloc:bo ops", reassign)

    def action_powers(self) -> None:
        def change(text: str) -> str:
            role, _, power = text.partition(" ")
            power = power.strip()
            if power[:1] not in "+-" or len(power) < 2:
                raise ValueError("write ROLE +POWER or ROLE -POWER, e.g. imoc +rollback_deploy")
            return self.host.set_power(role, power[1:], power[0] == "+")

        self._ask("ROLE +POWER / ROLE -POWER: change this game's role table", "imoc +rollback_deploy", change)

    def action_room_debrief(self) -> None:
        """The room's debrief, live (saved beside the journal as Markdown each time it is opened)."""
        path, text = self.host.save_room_debrief()
        self.notify(f"Saved {path.name}", markup=False)
        self.app.push_screen(RoomDebriefScreen(text, live=lambda: room_markdown(self.host.room_debrief())))

    def _report(self, result) -> None:
        self.notify(clean(result.message), severity="information" if result.accepted else "error", markup=False)
        self.refresh_view()


class FacilitatorApp(App[None]):
    """The host's terminal: runs the game-day server (and the web view) in its own event loop."""

    TITLE = "misfortune · game day"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, host: GameHost, web: SpectatorWeb | None = None) -> None:
        super().__init__()
        self.host = host
        self.web = web

    async def on_mount(self) -> None:
        try:
            await self.host.start()
            if self.web is not None:
                await self.web.start()
        except OSError as err:  # the port is taken or the address is not this machine's
            web_failed = self.host.listening
            what = (
                f"{self.web.bind}:{self.web.port} (--web-port)" if web_failed else f"{self.host.bind}:{self.host.port}"
            )
            await self.host.stop()
            self.exit(return_code=2, message=f"misfortune host: cannot listen on {what}: {err.strerror or err}")
            return
        self.push_screen(FacilitatorScreen(self.host, self.join_hint()))

    def join_hint(self) -> str:
        """The seats' join command and the spectator page, once both listen (ports may have been 0)."""
        lines = [self.host.join_command()]
        if self.web is not None:
            lines.append(f"projector: {self.web.url}")
        return "\n".join(lines)

    async def action_quit(self) -> None:
        if self.web is not None:
            await self.web.stop()
        await self.host.stop()
        self.exit()
