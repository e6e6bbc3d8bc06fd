"""Where the lake lives: a local directory or an S3-compatible bucket, behind one small
interface over ``pyarrow.fs`` (LocalFileSystem or S3FileSystem).

Every path the rest of the warehouse handles is relative to the lake's root, in POSIX form
(``appearances/date=2025-10-09/part-<run>.parquet``): the run ledger, the manifests and the
views record those, so a lake reads the same wherever it is mounted, copied or moved.

Object stores have no atomic rename. Nothing here needs one for correctness: data files
are immutable and uniquely named, a PUT makes an object appear whole or not at all, and
readers only ever read the files the current manifest lists (warehouse/manifest.py). On a
local disk writes still go through a temp name + fsync + rename, so plain ``read_parquet``
globs over the directory never meet half a file.

The lake URL: ``NEWSWIRE_LAKE_URL`` (``s3://bucket/prefix`` or a directory), default
``<data dir>/lake``. The first writer records a non-default URL in ``<data dir>/lake.url``
so every later reader of that data dir (``newswire sql --data-dir X``) finds the same lake
without the variable; a variable that disagrees with the record is refused. S3 settings are
AWS's own (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_REGION``), read by pyarrow.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.fs as pafs
from fsspec.implementations.arrow import ArrowFSWrapper

LAKE_URL_ENV = "NEWSWIRE_LAKE_URL"
LAKE_URL_RECORD = "lake.url"


class LakeLocationError(RuntimeError):
    """The lake URL is malformed or disagrees with the one the data dir was created with."""


@dataclass(frozen=True)
class StoredFile:
    """A file of the lake as a listing sees it."""

    path: str  # relative to the lake root
    size: int
    modified: float = 0.0  # POSIX timestamp


class _S3ForDuckDB(ArrowFSWrapper):
    """pyarrow's S3 filesystem as an fsspec filesystem DuckDB can register: DuckDB 2.0's
    httpfs extension cannot be installed offline, its Python API takes any fsspec
    filesystem (STACK-NOTES.md), and this one reuses pyarrow's S3 client (no s3fs)."""

    protocol = "s3"


def write_file_atomically(
    target: Path, data: bytes, before_rename: Callable[[], None] | None = None, suffix: str = ".tmp"
) -> None:
    """Temp name (a dot file: never matched by a reader's glob), fsync, rename: a reader
    sees the whole file or none of it, and a crash leaves at most the temp file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}{suffix}")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if before_rename:
        before_rename()
    os.replace(temporary, target)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LakeStore:
    """One lake: local directory or ``s3://bucket/prefix``."""

    def __init__(self, url: str | Path):
        url = str(url)
        if url.startswith("s3://"):
            bucket_and_prefix = url[len("s3://") :].strip("/")
            if not bucket_and_prefix:
                raise LakeLocationError(f"lake URL {url!r} names no bucket (expected s3://bucket/prefix)")
            self.fs: pafs.FileSystem = pafs.S3FileSystem(
                endpoint_override=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"),
                region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            )
            self.root = bucket_and_prefix
            self.url = f"s3://{bucket_and_prefix}"
            self.is_local = False
        elif "://" in url:
            raise LakeLocationError(
                f"lake URL {url!r}: only a directory or s3://bucket/prefix is supported "
                "(S3-compatible stores: set AWS_ENDPOINT_URL)"
            )
        else:
            self.root = str(Path(url).resolve())
            self.fs = pafs.LocalFileSystem()
            self.url = self.root
            self.is_local = True

    @classmethod
    def for_data_dir(cls, data_dir: Path, record: bool = False) -> LakeStore:
        """The data dir's lake (module docstring); ``record``: a writer notes a
        non-default URL in the data dir."""
        data_dir = Path(data_dir)
        wanted = os.environ.get(LAKE_URL_ENV, "").strip()
        record_file = data_dir / LAKE_URL_RECORD
        recorded = record_file.read_text().strip() if record_file.is_file() else ""
        if wanted and recorded and wanted.rstrip("/") != recorded.rstrip("/"):
            raise LakeLocationError(
                f"{LAKE_URL_ENV}={wanted} but the warehouse at {data_dir} keeps its lake at {recorded} "
                f"(see {record_file}); unset {LAKE_URL_ENV} or point --data-dir elsewhere"
            )
        url = wanted or recorded
        if not url:
            return cls(data_dir / "lake")
        store = cls(url)
        if (
            record
            and not recorded
            and not (store.is_local and store.root == str((data_dir / "lake").resolve()))
        ):
            data_dir.mkdir(parents=True, exist_ok=True)
            record_file.write_text(store.url + "\n")
        return store

    # -- paths ---------------------------------------------------------------------------

    def full(self, relative: str) -> str:
        """The filesystem path of a lake-relative path."""
        return f"{self.root}/{relative}".rstrip("/") if relative else self.root

    def uri(self, relative: str) -> str:
        """What DuckDB reads (after ``register``): a local path or an s3:// URL."""
        return self.full(relative) if self.is_local else f"s3://{self.full(relative)}"

    def local_path(self, relative: str = "") -> Path:
        """Only for a local lake (temp-file clean-up, tests)."""
        assert self.is_local, "a local path of an object-store lake"
        return Path(self.full(relative))

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let ``con`` read this lake's URIs."""
        if not self.is_local:
            con.register_filesystem(_S3ForDuckDB(self.fs))

    # -- reads ---------------------------------------------------------------------------

    def read_bytes(self, relative: str) -> bytes:
        # compression=None: pyarrow would otherwise unpack a .zst raw object by its name.
        with self.fs.open_input_stream(self.full(relative), compression=None) as stream:
            return stream.read()

    def size(self, relative: str) -> int | None:
        """Size in bytes, None when there is no such file."""
        info = self.fs.get_file_info(self.full(relative))
        return info.size if info.type == pafs.FileType.File else None

    def exists(self, relative: str) -> bool:
        return self.size(relative) is not None

    def list_files(self, relative_dir: str) -> list[StoredFile]:
        """Every file under a folder (recursive; none when it does not exist), sorted."""
        selector = pafs.FileSelector(self.full(relative_dir), recursive=True, allow_not_found=True)
        prefix = len(self.root) + 1
        return sorted(
            (
                StoredFile(info.path[prefix:], info.size, info.mtime.timestamp() if info.mtime else 0.0)
                for info in self.fs.get_file_info(selector)
                if info.type == pafs.FileType.File
            ),
            key=lambda stored: stored.path,
        )

    def children(self, relative_dir: str) -> list[str]:
        """Names directly under a folder, files and folders (none when it does not exist)."""
        selector = pafs.FileSelector(self.full(relative_dir), recursive=False, allow_not_found=True)
        return sorted(info.base_name for info in self.fs.get_file_info(selector))

    # -- writes --------------------------------------------------------------------------

    def write_bytes(
        self, relative: str, data: bytes, before_rename: Callable[[], None] | None = None
    ) -> None:
        """Atomic: a reader sees the whole object or none of it. ``before_rename`` runs
        once the bytes are written and not yet visible (a crash test's failpoint)."""
        if not self.is_local:
            if before_rename:
                before_rename()
            with self.fs.open_output_stream(self.full(relative), compression=None) as stream:
                stream.write(data)
            return
        write_file_atomically(Path(self.full(relative)), data, before_rename)

    def move(self, source: str, target: str) -> None:
        """A rename on disk; copy + delete on an object store (idempotent under the
        ledger's recovery: a move half done is done again)."""
        if self.is_local:
            Path(self.full(target)).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.full(source), self.full(target))
            return
        self.fs.copy_file(self.full(source), self.full(target))
        self.fs.delete_file(self.full(source))

    def delete(self, relative: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.full(relative))

    def delete_tree(self, relative_dir: str) -> None:
        info = self.fs.get_file_info(self.full(relative_dir))
        if info.type == pafs.FileType.Directory:
            self.fs.delete_dir(self.full(relative_dir))
