"""Game-day commands: ``misfortune host SCENARIO`` (the facilitator) and ``misfortune join ADDRESS`` (a seat)."""

from __future__ import annotations

import argparse
import os
import random
import sys

from tui.live_exports import add_live_options, live_from_args

EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add host and join."""
    cmd = subparsers.add_parser(
        "host",
        help="run a game day: the authoritative simulation and the facilitator console",
        description="Host SCENARIO for a room: prints a join command with a fresh token, then opens the "
        "facilitator console (hidden truth, clock, injects, rewind). Listens on loopback unless --bind says "
        "otherwise.",
    )
    cmd.add_argument("scenario", metavar="SCENARIO", help="scenario id or path to a scenario file")
    cmd.add_argument("--seed", type=int, help="simulation seed (default: a random one)")
    cmd.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (default loopback)")
    cmd.add_argument("--port", type=int, default=7420, metavar="P", help="seat port (default 7420; 0 picks a free one)")
    cmd.add_argument("--web", action="store_true", help="also serve the read-only spectator view in a browser")
    cmd.add_argument("--web-port", type=int, default=7421, metavar="P", help="spectator page port (default 7421)")
    cmd.add_argument(
        "--mentor",
        action="store_true",
        help="reverse shadow: a mentor seat may join (--role mentor): sees the truth, whispers, flags, never acts",
    )
    cmd.add_argument(
        "--policy",
        metavar="FILE",
        help="escalation policy (YAML, as `misfortune shift --policy`): pages go to the seats on call "
        "(join --on-call primary|secondary); default: primary, then the secondary after 5 min",
    )
    add_live_options(cmd)
    cmd.set_defaults(handler=host_command)

    cmd = subparsers.add_parser(
        "join",
        help="take a seat in a game day (IMOC, TLOC, ops, scribe or observer)",
        description="Open the incident console driven by a game-day host's simulation.",
    )
    cmd.add_argument("address", metavar="ADDRESS", help="host:port printed by `misfortune host`")
    cmd.add_argument("--token", help="the game day's token (or set MISFORTUNE_TOKEN)")
    cmd.add_argument(
        "--role",
        required=True,
        choices=("imoc", "tloc", "ops", "scribe", "observer", "mentor"),
        help="your incident role (mentor: see `host --mentor`)",
    )
    cmd.add_argument(
        "--on-call",
        choices=("primary", "secondary"),
        help="the on-call rotation you hold: pages go to the primary, then by the policy to the secondary",
    )
    cmd.add_argument(
        "--seat-token",
        help="rejoin as the seat this token was given to (its role, view and unread messages come back)",
    )
    cmd.add_argument("--name", default=os.environ.get("USER", "seat"), help="your name (default: $USER)")
    cmd.add_argument("--spectator", action="store_true", help=argparse.SUPPRESS)
    cmd.set_defaults(handler=join_command)


def _address(text: str) -> tuple[str, int] | None:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def host_command(args: argparse.Namespace) -> int:
    """``misfortune host SCENARIO``: print the join command, then run the facilitator console."""
    from tui.gameday.facilitator import FacilitatorApp
    from tui.gameday.host import GameHost

    if not 0 <= args.port <= 65535:
        print(f"misfortune host: --port {args.port} is not a port (0-65535)", file=sys.stderr)
        return EXIT_INVALID
    if not 0 <= args.web_port <= 65535:
        print(f"misfortune host: --web-port {args.web_port} is not a port (0-65535)", file=sys.stderr)
        return EXIT_INVALID
    seed = args.seed if args.seed is not None else random.SystemRandom().randint(1, 99_999)
    live, code = live_from_args(args, "host")
    if code:
        return code
    mentor = getattr(args, "mentor", False)  # callers building their own Namespace may leave it out
    policy = None
    if getattr(args, "policy", None):
        from scenarios.loader import ScenarioError
        from simulator.shift import load_policy

        try:
            policy = load_policy(args.policy)
        except ScenarioError as err:
            print(f"misfortune host: {err}", file=sys.stderr)
            return EXIT_INVALID
    host = GameHost.start_session(args.scenario, seed, bind=args.bind, port=args.port, mentor=mentor, policy=policy)
    if live is not None:  # fed after every push to the seats (the host's clock runs in its event loop)
        host.listeners.append(lambda: live.update(host.session))
    web = None
    if args.web:
        from tui.gameday.web import SpectatorWeb

        web = SpectatorWeb(host, args.bind, args.web_port)
    print(f"Game day: {host.sim.scenario.id} seed {seed}; journal {host.session.journal_path}")
    print("The facilitator console shows the seats' join command" + (" and the spectator page." if web else "."))
    if mentor:
        print("A mentor joins with --role mentor (sees the hidden truth; W whispers to the trainee, M flags a moment).")
    app = FacilitatorApp(host, web)
    try:
        app.run()
    finally:
        if live is not None:
            live.stop()
    if app.return_code:
        return app.return_code
    journal = host.session.journal_path
    if host.sim.ended_at is None:
        print(f"Journal kept: {journal}\n  misfortune resume {journal}")
    else:  # an ended session cannot be resumed (resume refuses it); it can be replayed
        print(f"Journal kept: {journal}\n  misfortune replay {journal}")
    return 0


def join_command(args: argparse.Namespace) -> int:
    """``misfortune join ADDRESS --token T --role R``: the trainee console over the network."""
    from tui.gameday.seat import JoinRefused, RemoteSession
    from tui.gameday.seat_app import seat_app
    from tui.gameday.web import TOKEN_ENV

    where = _address(args.address)
    if where is None:
        print(f"misfortune join: {args.address!r} is not HOST:PORT (e.g. 127.0.0.1:7420)", file=sys.stderr)
        return EXIT_INVALID
    token = args.token or os.environ.get(TOKEN_ENV, "")
    if not token:
        print("misfortune join: give the token printed by `misfortune host` with --token", file=sys.stderr)
        return EXIT_INVALID
    # Every browser tab is its own spectator seat: a shared name would make them replace each other.
    name = f"{args.name}-{os.getpid()}" if args.spectator else args.name
    seat = RemoteSession(
        where[0],
        where[1],
        token,
        args.role,
        name,
        spectator=args.spectator,
        on_call=getattr(args, "on_call", None),
        seat_token=getattr(args, "seat_token", None),
    )
    try:
        seat.connect()
    except JoinRefused as err:
        print(f"misfortune join: the host refused this seat: {err}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as err:
        print(f"misfortune join: cannot reach {args.address}: {err.strerror or err}", file=sys.stderr)
        return EXIT_INVALID
    app = seat_app(seat)
    app.run()
    seat.quit()
    if seat.seat_token and not seat.spectator and not seat.finished:
        from tui.gameday.room_view import rejoin_hint

        print(f"Left the game day; the seat is kept. Rejoin (MISFORTUNE_TOKEN set) with:\n  {rejoin_hint(seat)}")
    return app.return_code or 0
