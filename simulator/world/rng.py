"""Named random streams derived from (seed, stream name).

Each purpose (traffic noise, trace sampling, log noise, each fault) draws from its own stream, so adding
a draw in one place never shifts the numbers another place sees. Derivation uses SHA-256, not ``hash()``
(which is salted per process).
"""

from __future__ import annotations

import hashlib
import random


class RandomStreams:
    """Factory and cache of independent ``random.Random`` generators keyed by name."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def __getitem__(self, name: str) -> random.Random:
        stream = self._streams.get(name)
        if stream is None:
            digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
            stream = random.Random(int.from_bytes(digest[:8], "big"))
            self._streams[name] = stream
        return stream
