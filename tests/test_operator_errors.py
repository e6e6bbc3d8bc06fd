"""Errors an operator can fix get one clear line, never a traceback; the settings are
inspectable (`newswire config`) and the version printable — through the real CLI."""

from __future__ import annotations

from conftest import run_newswire


def test_version(tmp_path):
    done = run_newswire("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("newswire ")


def test_config_prints_effective_settings_and_their_sources(tmp_path):
    done = run_newswire("config", "--data-dir", str(tmp_path), cwd=tmp_path, NEWSWIRE_FETCH_MAX_RETRIES="7")
    assert done.returncode == 0, done.stderr
    lines = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if line.count("│") >= 3}
    assert "7" in lines["NEWSWIRE_FETCH_MAX_RETRIES"] and "environment" in lines["NEWSWIRE_FETCH_MAX_RETRIES"]
    assert "default" in lines["NEWSWIRE_FETCH_MAX_BODY_BYTES"]
    assert "--data-dir" in lines["NEWSWIRE_HOME"]


def test_misspelt_setting_is_refused_with_a_suggestion(tmp_path):
    done = run_newswire("config", cwd=tmp_path, NEWSWIRE_POLL_MIN_INTERVAL_MINUTE="1")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "did you mean NEWSWIRE_POLL_MIN_INTERVAL_MINUTES?" in " ".join(done.stderr.split())


def test_home_pointing_at_a_file_is_one_clear_line(tmp_path):
    home = tmp_path / "not-a-dir"
    home.write_text("x")
    for command in (["sql", "SELECT 1"], ["stats"], ["ingest"]):
        done = run_newswire(*command, cwd=tmp_path, NEWSWIRE_HOME=str(home))
        assert done.returncode == 2, command
        assert "is a file, not a directory" in " ".join(done.stderr.split())
        assert "Traceback" not in done.stderr


def test_catalogue_errors_are_printed_verbatim(tmp_path):
    catalog = tmp_path / "empty.toml"
    catalog.write_text("[defaults]\npoll_interval_minutes = 15\n", encoding="utf-8")
    done = run_newswire("feeds", "list", "--catalog", str(catalog), cwd=tmp_path)
    assert done.returncode == 2
    assert "no [[feed]] entries" in done.stderr  # Rich markup would have eaten the brackets
