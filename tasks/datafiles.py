"""Loading the TOML data files a desk edits (agencies, boilerplate, region gazetteers).

One error type and one message shape for all of them: the file, where in it, what is
wrong. A bad data file stops the run before any feed is fetched, rather than quietly
enriching with half the rules.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path


class DataFileError(ValueError):
    """A data file is unreadable or malformed; the message names the file and the entry."""


def load_data_file(path: Path, what: str) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
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
