"""Broken catalogues, settings and parameters: `newswire ingest` refuses them with a message
naming the file, line, feed or variable, and applies nothing. Cases and expected messages:
tests/fixtures/config/expectations.toml."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "config"
CASES = tomllib.loads((FIXTURES / "expectations.toml").read_text())


@pytest.mark.parametrize("name", list(CASES))
def test_bad_configuration_is_refused_with_a_clear_message_and_nothing_applied(name, tmp_path):
    case = CASES[name]
    catalog = FIXTURES / case.get("catalog", "one-feed.toml")
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    # Wide terminal: the message must not be wrapped mid-fragment.
    env.update(case.get("env", {}), COLUMNS="1000")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "newswire", "ingest"),
            *("--catalog", str(catalog), "--data-dir", str(data_dir)),
            *case.get("options", []),
        ],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    for fragment in case["message"]:
        assert fragment.replace("{file}", str(catalog)) in done.stderr
    assert not data_dir.exists()
