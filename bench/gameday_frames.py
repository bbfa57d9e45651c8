"""Sizes of the state frames the game-day host sends a seat; prints figures, asserts nothing.

    python bench/gameday_frames.py                       # checkout-oom-leak, one hour in
    python bench/gameday_frames.py az-outage --at 1800

- join: the frames of a joining seat's snapshot (count, largest, total, CPU time to build and encode them),
  and the same for another seat joining later (the quiet run's chunks are encoded once a session);
- steady: the delta after half a second (one push) and after thirty seconds (a seat that lagged).

Before the bounded feed, the join snapshot of checkout-oom-leak at one hour was one 11.2 MB frame,
built in ~0.2 s on the host's event loop.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tui.gameday.feed import SeatFeed
from tui.gameday.protocol import encode
from tui.session import LocalSession


def join(session: LocalSession) -> tuple[SeatFeed, list[int], float]:
    """A joining seat's feed after its snapshot, the sizes of the snapshot's frames, and the CPU seconds
    their building and encoding took."""
    feed, sizes = SeatFeed(), []
    started = time.process_time()
    while True:
        frame = feed.delta(session, 0, 1.0)
        sizes.append(len(encode(frame)))
        if not frame["more"]:
            return feed, sizes, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="checkout-oom-leak")
    parser.add_argument("--at", type=float, default=3600.0, help="simulated seconds before the seat joins")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        session = LocalSession.start(args.scenario, 1, directory=Path(folder))
        session.sim.advance(args.at)
        feed, sizes, built = join(session)
        print(f"{args.scenario} at {args.at:g} s")
        print(f"join: {len(sizes)} frames, largest {max(sizes):,} B, total {sum(sizes):,} B, built in {built:.2f} s")
        # The quiet run's chunks are encoded once a session, and a chunk seats are sent alike once: a later
        # join (a second later each: its newest chunks are its own) costs this.
        again = []
        for _ in range(5):
            session.sim.advance(1.0)
            again.append(join(session)[2])
        print(f"join of another seat, a second later: built in {sorted(again)[2]:.3f} s (CPU, median of 5)")
        for step in (0.5, 30.0):
            session.sim.advance(step)
            print(f"steady: delta after {step:g} s: {len(encode(feed.delta(session, 0, 1.0))):,} B")
        session.quit()


if __name__ == "__main__":
    main()
