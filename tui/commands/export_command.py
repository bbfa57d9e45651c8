"""``misfortune export JOURNAL``: a finished (or interrupted) session for real tools, after the fact.

Replays the journal (the simulation is deterministic) and writes what was asked: the whole session
in OpenMetrics for ``promtool tsdb create-blocks-from openmetrics`` (``--openmetrics``), the scenario's
alert rules as a Prometheus rule file (``--rules``), Grafana provisioning (``--grafana``), and spans and
log records sent to an OTLP/HTTP collector (``--otlp``). Simulated time 0 maps to ``--start`` or, by
default, to the moment that makes the session end now (recent enough for Prometheus's retention).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from scenarios.durations import parse_duration
from simulator.exports import ExportUnavailable
from simulator.session import JournalError

EXIT_OK = 0
EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export``."""
    cmd = subparsers.add_parser(
        "export",
        help="export a session for Prometheus, Grafana and OpenTelemetry (real tools after the fact)",
        description="Replay JOURNAL and write the session for real tools. --openmetrics and --otlp need the "
        "optional packages: pip install 'misfortune[export]'. Simulated time is mapped onto a wall-clock window "
        "that ends now, or starts at --start.",
    )
    cmd.add_argument(
        "journal", nargs="?", metavar="JOURNAL", type=Path, help="a session's journal (default: the latest journal)"
    )
    cmd.add_argument("--openmetrics", type=Path, metavar="FILE", help="write the metrics history in OpenMetrics")
    cmd.add_argument("--rules", type=Path, metavar="FILE", help="write the scenario's alert rules (Prometheus YAML)")
    cmd.add_argument("--grafana", type=Path, metavar="DIR", help="write Grafana provisioning and dashboards")
    cmd.add_argument(
        "--prometheus-url",
        default="http://127.0.0.1:9090",
        metavar="URL",
        help="the Prometheus the Grafana datasource points at (default http://127.0.0.1:9090)",
    )
    cmd.add_argument(
        "--dashboards-path",
        metavar="PATH",
        help="where Grafana will find the dashboards folder (default: DIR/dashboards; in a container e.g. "
        "/var/lib/grafana/dashboards)",
    )
    cmd.add_argument(
        "--follow",
        action="store_true",
        help="dashboards for a session being played now (last 30 minutes, refreshing) instead of its window",
    )
    cmd.add_argument("--otlp", metavar="URL", help="send spans and log records to an OTLP/HTTP collector")
    cmd.add_argument(
        "--start", metavar="ISO8601", help="wall-clock time of simulated 0s (default: end the session now)"
    )
    cmd.add_argument(
        "--step", default="15s", metavar="DURATION", help="simulated time between exported samples (default 15s)"
    )
    cmd.add_argument("--timeout", type=float, default=10.0, metavar="S", help=argparse.SUPPRESS)
    cmd.set_defaults(handler=export_command)


def parse_start(text: str) -> float:
    """Seconds since the epoch of an ISO 8601 time (UTC when it names no offset). Raises ValueError."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def export_command(args: argparse.Namespace) -> int:
    """Replay the journal and write every output asked for."""
    problems: list[str] = []
    outputs = [args.openmetrics, args.rules, args.grafana, args.otlp]
    if not any(o is not None for o in outputs):
        problems.append(
            "misfortune export: say what to write: --openmetrics FILE, --rules FILE, --grafana DIR and/or --otlp URL"
        )
    if args.otlp is not None and not args.otlp.startswith(("http://", "https://")):
        problems.append(f"--otlp: {args.otlp!r} is not an http(s) URL; e.g. http://127.0.0.1:4318")
    start = None
    if args.start is not None:
        try:
            start = parse_start(args.start)
        except ValueError:
            problems.append(f"--start: {args.start!r} is not an ISO 8601 time; write e.g. 2026-01-31T09:00:00Z")
    step = 15.0
    try:
        step = parse_duration(args.step)
    except ValueError as err:
        problems.append(f"--step: {err}")
    if not 1.0 <= step <= 300.0:
        problems.append(f"--step: {args.step} must be between 1s and 5m")
    if args.journal is None:
        from tui.session import journals_dir, latest_journal

        args.journal = latest_journal()
        if args.journal is None:
            problems.append(f"misfortune export: no journal in {journals_dir()}; name one or play a session first")
    if args.journal is not None and not args.journal.is_file():
        problems.append(f"{args.journal}: no such journal file")
    if problems:
        return _invalid(problems)
    try:
        return _export(args, start, step)
    except ExportUnavailable as err:
        return _invalid([f"misfortune export: {err}"])
    except JournalError as err:
        return _invalid([str(err)])
    except OSError as err:
        return _invalid([f"misfortune export: cannot write {err.filename}: {err.strerror}"])


def _export(args: argparse.Namespace, start: float | None, step: float) -> int:
    from simulator.exports import SessionExport

    export = SessionExport(step=step, metrics=args.openmetrics is not None)
    if not args.prometheus_url.startswith(("http://", "https://")):
        return _invalid([f"--prometheus-url: {args.prometheus_url!r} is not an http(s) URL"])
    sim = export.replay(args.journal)
    epoch = start if start is not None else datetime.now(UTC).timestamp() - sim.now
    written: list[str] = []
    if args.openmetrics is not None:
        _write(args.openmetrics, export.openmetrics(epoch))
        written.append(f"wrote {args.openmetrics} (OpenMetrics, {len(export.frames)} samples per series)")
    if args.rules is not None:
        from simulator.exports import rule_file

        _write(args.rules, rule_file(sim.scenario).encode())
        written.append(f"wrote {args.rules} (Prometheus alert rules)")
    if args.grafana is not None:
        window = None if args.follow else (epoch, epoch + sim.now)
        written += _grafana(args.grafana, sim, args.prometheus_url, window, args.dashboards_path)
    if args.otlp is not None:
        from simulator.exports import OtlpSender, session_records

        spans, logs = session_records(sim, epoch)
        problems = OtlpSender(args.otlp, timeout=args.timeout).send(spans, logs)
        if problems:
            return _invalid(
                [f"misfortune export: --otlp {args.otlp}: {p} (is a collector listening there?)" for p in problems]
            )
        written.append(f"sent {len(spans)} spans and {len(logs)} log records to {args.otlp}")
    began = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
    ended = datetime.fromtimestamp(epoch + sim.now, UTC).isoformat(timespec="seconds")
    print(f"{args.journal}: {sim.scenario.id} seed {sim.seed}, simulated 0s-{sim.now:.0f}s mapped to {began} - {ended}")
    for line in written:
        print(f"  {line}")
    return EXIT_OK


def _grafana(
    folder: Path, sim, prometheus_url: str, window: tuple[float, float] | None, dashboards_path: str | None
) -> list[str]:
    """Provisioning files under ``folder``: the datasource, the dashboard provider and the dashboards."""
    from simulator.exports import grafana_dashboards, grafana_dashboards_yaml, grafana_datasource_yaml, grafana_dump

    sc = sim.scenario
    boards = folder / "dashboards"
    _write(
        folder / "provisioning" / "datasources" / "misfortune.yaml", grafana_datasource_yaml(prometheus_url).encode()
    )
    _write(
        folder / "provisioning" / "dashboards" / "misfortune.yaml",
        grafana_dashboards_yaml(dashboards_path or str(boards.resolve())).encode(),
    )
    for name, board in grafana_dashboards(sc.id, sc.slo.service, sc.slo.availability, window).items():
        _write(boards / name, grafana_dump(board).encode())
    return [f"wrote {folder}/provisioning (datasource -> {prometheus_url}) and {boards} (RED and USE dashboards)"]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _invalid(problems: list[str]) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_INVALID
