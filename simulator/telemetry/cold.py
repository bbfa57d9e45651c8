"""Cold telemetry: immutable blobs a session keeps but rarely reads, off the heap in a temporary file.

A long session accumulates telemetry it wrote once and will read again only when someone scrolls back:
sealed series chunks, packed traces. :class:`ColdFile` appends such blobs to one anonymous temporary file
per store (``tempfile.TemporaryFile``: unlinked at creation, so nothing is left in the temporary directory
even if the process dies, and the space goes back when the file is closed or collected) and reads them
back with ``os.pread``, so the operating system's page cache holds them rather than this process. Only a
:class:`ColdChunk` (where, how long) stays in memory, with a small cache of the blobs read last.

Blobs are never changed or removed once written, so every copy of a store (a session's snapshots) shares
the file and its chunks as they are, and a rewind simply appends after what is there. What the file
holds is bounded by what the store sealed over the session (its duration), never by how often it is read.
"""

from __future__ import annotations

import os
import tempfile
import threading

WRITE_BUFFER = 64 * 1024
"""Bytes gathered before one write to the file (many small blobs, one system call)."""
CACHE = 64
"""Blobs read back that stay in memory (about 0.25 MB of series chunks): what a chart or alert reads again."""


_SIZES: dict[int, int] = {}
"""One int object per blob size (a series chunk's 4096 bytes: thousands of chunks share it), up to 4096."""


class ColdFile:
    """An append-only temporary file of immutable blobs, read back by offset (see the module docstring).

    One per store; shared, never copied, by every copy of that store (``deepcopy`` gives it back as it is).
    Pickled, it becomes a new empty file: its chunks pickle as their bytes (:meth:`ColdChunk.__reduce__`).
    Thread-safe: the simulation appends while the interface may read.
    """

    def __init__(self, cache: int = CACHE) -> None:
        self._file = None  # opened on the first blob kept
        self._end = 0
        """Bytes in the file (written) plus bytes waiting in ``_pending``."""
        self._written = 0
        """Bytes actually in the file: the pending buffer starts there."""
        self._pending = bytearray()
        self._cache: dict[int, bytes] = {}
        self._cache_size = cache
        self._lock = threading.Lock()
        self.in_memory = False
        """True once the file could not be created or written: blobs are then kept in memory."""

    def put(self, blob: bytes) -> ColdChunk:
        """Keep ``blob``; the chunk that reads it back."""
        with self._lock:
            at = self._end
            self._pending += blob
            self._end += len(blob)
            if len(self._pending) >= WRITE_BUFFER:
                self._flush()
        size = len(blob)
        return ColdChunk(self, at, _SIZES.setdefault(size, size) if size <= 4096 else size)

    def _flush(self) -> None:
        if self.in_memory:
            return
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="misfortune-cold-", buffering=0)  # noqa: SIM115 (kept open)
            fd, data, at = self._file.fileno(), self._pending, self._written
            while data:
                n = os.pwrite(fd, data, at)
                at += n
                data = data[n:]
        except OSError:
            # No writable temporary directory, or the disk is full: the session must go on, so every blob
            # from here on stays in the write buffer (in memory, as before cold files existed). What the file
            # took in earlier flushes reads back from it; a partly written flush counts for nothing.
            self.in_memory = True
            return
        self._written = at
        self._pending = bytearray()

    def read(self, at: int, size: int) -> bytes:
        """The blob of ``size`` bytes kept at offset ``at``."""
        blob = self._cache.get(at)
        if blob is not None:
            return blob
        with self._lock:
            blob = self._read(at, size)
            cache = self._cache
            if self._cache_size:
                if len(cache) >= self._cache_size:
                    del cache[next(iter(cache))]  # the oldest read
                cache[at] = blob
        return blob

    def read_uncached(self, at: int, size: int) -> bytes:
        """``size`` bytes from offset ``at`` (part of a blob), not cached."""
        with self._lock:
            return self._read(at, size)

    def _read(self, at: int, size: int) -> bytes:
        if at >= self._written:  # still in the write buffer
            start = at - self._written
            return bytes(self._pending[start : start + size])
        return _pread(self._file.fileno(), size, at)

    @property
    def size(self) -> int:
        """Bytes kept so far (in the file or about to be)."""
        return self._end

    def __deepcopy__(self, memo: dict) -> ColdFile:
        return self  # immutable blobs: every copy of the store shares them

    def __copy__(self) -> ColdFile:
        return self

    def __reduce__(self) -> tuple:
        return ColdFile, (self._cache_size,)


def _pread(fd: int, size: int, at: int) -> bytes:
    blob = os.pread(fd, size, at)
    while len(blob) < size:  # a short read (allowed, not expected on a regular file)
        more = os.pread(fd, size - len(blob), at + len(blob))
        if not more:
            raise OSError(f"cold telemetry file ends at {at + len(blob)}, {size - len(blob)} bytes short")
        blob += more
    return blob


class ColdChunk:
    """A blob kept in a :class:`ColdFile`: :meth:`read` gives its bytes back. Immutable, shared by copies."""

    __slots__ = ("file", "at", "size")

    def __init__(self, file: ColdFile, at: int, size: int) -> None:
        self.file, self.at, self.size = file, at, size

    def read(self) -> bytes:
        """The blob's bytes."""
        return self.file.read(self.at, self.size)

    def read_range(self, start: int, stop: int) -> bytes:
        """Bytes ``start`` to ``stop`` of the blob (clamped to it), read alone and not cached."""
        start, stop = max(0, min(start, self.size)), max(0, min(stop, self.size))
        return self.file.read_uncached(self.at + start, stop - start) if stop > start else b""

    def __len__(self) -> int:
        return self.size

    def __deepcopy__(self, memo: dict) -> ColdChunk:
        return self

    def __copy__(self) -> ColdChunk:
        return self

    def __reduce__(self) -> tuple:
        return bytes, (self.read(),)  # pickled as the bytes it holds


def as_bytes(blob: bytes | ColdChunk) -> bytes:
    """``blob`` itself if it is bytes, else its bytes read back."""
    return blob if type(blob) is bytes else blob.read()
