"""Bronze layer: every fetched payload, byte for byte, zstd-compressed and addressed by
the SHA-256 of its bytes, in the lake (``raw/objects/``; local or on an object store).

Content addressing makes landing idempotent (a re-poll of unchanged bytes stores nothing
new; a crash mid-write leaves at most a temp file) and lets a later fix be applied by
replaying payloads instead of re-fetching feeds that have since moved on. It also makes
every object self-checking: ``read`` decompresses and compares the hash with the name, so
a damaged payload is reported as ``CorruptPayload`` (by hash and path) and costs that
payload in a replay, never the run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import zstandard

from newswire.warehouse.lake import as_store
from newswire.warehouse.lake_store import LakeStore

# Level 6: ~4x on feed XML at a few ms per MB; higher levels cost more CPU than the
# disk they save for this kind of text.
_COMPRESSION_LEVEL = 6
OBJECTS = "raw/objects"
# Payloads landed at once by ``land_all``: each is its own temp file, fsync and rename, and
# the file system commits concurrent fsyncs together (one at a time, a 500-feed poll spent
# 4.4 s in fsync).
_LANDING_THREADS = 8


class CorruptPayload(ValueError):
    """A stored payload that does not decompress, or whose bytes are not its hash."""

    def __init__(self, sha256: str, where: str, reason: str):
        self.sha256 = sha256
        super().__init__(f"raw payload {sha256} at {where} is damaged ({reason}); it cannot be replayed")


class RawStore:
    def __init__(self, lake: LakeStore | Path):
        self.store = as_store(lake)
        # Where the objects are, for messages (a Path on a local lake).
        self.root = self.store.local_path(OBJECTS) if self.store.is_local else self.store.uri(OBJECTS)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> RawStore:
        return cls(LakeStore.for_data_dir(data_dir))

    def relative_path(self, sha256: str) -> str:
        return f"{OBJECTS}/{sha256[:2]}/{sha256}.zst"

    def path_for(self, sha256: str) -> str:
        """The object's path (local) or URL (object store)."""
        return self.store.uri(self.relative_path(sha256))

    def land(self, body: bytes, sha256: str | None = None) -> str:
        """Store the payload if it is not there yet; returns its SHA-256."""
        sha256 = sha256 or hashlib.sha256(body).hexdigest()
        relative = self.relative_path(sha256)
        if self.store.exists(relative):
            return sha256
        compressed = zstandard.ZstdCompressor(level=_COMPRESSION_LEVEL).compress(body)
        self.store.write_bytes(relative, compressed)
        return sha256

    def land_all(self, payloads: Iterable[tuple[bytes, str | None]]) -> list[str]:
        """``land`` for many (body, sha256 or None) payloads, several at a time (each as
        crash-safe as one ``land``); returns their SHA-256s in order."""
        named = [(body, sha256 or hashlib.sha256(body).hexdigest()) for body, sha256 in payloads]
        distinct = {sha256: body for body, sha256 in named}  # one writer per object
        if len(distinct) > 1:
            with ThreadPoolExecutor(min(_LANDING_THREADS, len(distinct))) as pool:
                list(pool.map(lambda item: self.land(item[1], item[0]), distinct.items()))
        else:
            for sha256, body in distinct.items():
                self.land(body, sha256)
        return [sha256 for _, sha256 in named]

    def read(self, sha256: str) -> bytes:
        """The payload's bytes, checked against its name (``CorruptPayload`` if not)."""
        compressed = self.store.read_bytes(self.relative_path(sha256))
        try:
            body = zstandard.ZstdDecompressor().decompress(compressed)
        except zstandard.ZstdError as error:
            raise CorruptPayload(sha256, self.path_for(sha256), f"zstd: {error}") from error
        if hashlib.sha256(body).hexdigest() != sha256:
            raise CorruptPayload(sha256, self.path_for(sha256), "its bytes do not hash to its name")
        return body

    def exists(self, sha256: str) -> bool:
        return self.store.exists(self.relative_path(sha256))

    def objects(self) -> list[tuple[str, int, float]]:
        """(sha256, stored size, modified at as a POSIX timestamp) of every object."""
        found = []
        for stored in self.store.list_files(OBJECTS):
            name = stored.path.rsplit("/", 1)[-1]
            if name.endswith(".zst") and not name.startswith("."):
                found.append((name[: -len(".zst")], stored.size, stored.modified))
        return found

    def delete(self, sha256: str) -> None:
        self.store.delete(self.relative_path(sha256))
