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


def test_invalid_values_are_one_line_naming_each_variable(tmp_path):
    done = run_newswire(
        "ingest",
        cwd=tmp_path,
        NEWSWIRE_FETCH_ALLOW_PRIVATE_NETWORKS="ture",
        NEWSWIRE_FETCH_MAX_RETRIES="-1",
        NEWSWIRE_POLL_ENTRY_GAP_FRACTION="half",
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    message = " ".join(done.stderr.split())
    assert "NEWSWIRE_FETCH_ALLOW_PRIVATE_NETWORKS='ture': expected true or false" in message
    assert "NEWSWIRE_FETCH_MAX_RETRIES='-1': must not be negative" in message
    assert "NEWSWIRE_POLL_ENTRY_GAP_FRACTION='half': expected a number" in message
    assert not (tmp_path / "data").exists()  # refused before anything was created


def test_strict_bools_accept_the_usual_words_only(tmp_path):
    for word, shown in (("yes", "True"), ("OFF", "False"), ("1", "True")):
        done = run_newswire("config", cwd=tmp_path, NEWSWIRE_FETCH_ALLOW_PRIVATE_NETWORKS=word)
        assert done.returncode == 0, done.stderr
        line = next(x for x in done.stdout.splitlines() if "NEWSWIRE_FETCH_ALLOW_PRIVATE" in x)
        assert shown in line and "environment" in line


def test_settings_reference_in_the_docs_is_the_generated_one():
    """docs/settings.md is `newswire config --markdown`'s output: regenerate it after
    changing a setting or its comment in tasks/settings.py."""
    from conftest import REPO_ROOT
    from newswire.cli.settings_doc import settings_reference
    from newswire.tasks.settings import setting_fields

    reference = settings_reference()
    assert (REPO_ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == reference
    for field in setting_fields():
        assert f"`{field.variable}`" in reference
