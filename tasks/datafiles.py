"""Loading the TOML data files a desk edits (agencies, boilerplate, region gazetteers).

One error type and one message shape for all of them: the file, where in it, what is
wrong. A bad data file stops the run before any feed is fetched, rather than quietly
enriching with half the rules.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

# The files read while ``recording`` is open, with the SHA-256 of the bytes read: what a
# cached build of the rules depends on (tasks/rules_cache.py). A stack, so recordings nest.
_RECORDINGS: list[dict[str, str]] = []


class DataFileError(ValueError):
    """A data file is unreadable or malformed; the message names the file and the entry."""


@contextlib.contextmanager
def recording() -> Iterator[dict[str, str]]:
    """Collect every data file ``load_data_file`` reads meanwhile: resolved path -> SHA-256
    of its bytes. A region file names its includes and people files itself, so only the
    loader knows them all."""
    used: dict[str, str] = {}
    _RECORDINGS.append(used)
    try:
        yield used
    finally:
        _RECORDINGS.remove(used)


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes; None when it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def load_data_file(path: Path, what: str) -> dict:
    try:
        data = Path(path).read_bytes()
        for used in _RECORDINGS:
            used[str(Path(path).resolve())] = hashlib.sha256(data).hexdigest()
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise DataFileError(f"{path}: the {what} is not UTF-8: {error}") from error
    except OSError as error:
        raise DataFileError(f"{path}: cannot read the {what}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise DataFileError(f"{path}: the {what} is not valid TOML: {error}") from error


def compile_pattern(path: Path, where: str, pattern: object, flags: int = 0) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise DataFileError(f"{path}: {where}: expected a regular expression string, got {pattern!r}")
    try:
        return re.compile(pattern, flags)
    except re.error as error:
        raise DataFileError(f"{path}: {where}: bad regular expression {pattern!r}: {error}") from error
