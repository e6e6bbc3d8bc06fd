"""The CLI's check of the desk's data files: run once per change of the files, never
skipped for a file that changed since it passed (cli/desk_check.py)."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from newswire.cli.desk_check import check_desk_files
from newswire.tasks.datafiles import DataFileError
from newswire.tasks.desk import DEFAULT_DESK


@pytest.fixture
def desk(tmp_path):
    """The default desk with its agency file copied where the test may break it."""
    agencies = tmp_path / "agencies.toml"
    shutil.copyfile(DEFAULT_DESK.agencies, agencies)
    return replace(DEFAULT_DESK, agencies=agencies)


def test_files_that_passed_are_not_checked_again(desk, tmp_path):
    record = tmp_path / "checked.json"
    assert check_desk_files(desk, record) is True
    assert check_desk_files(desk, record) is False


def test_a_file_changed_since_it_passed_is_checked_and_refused(desk, tmp_path):
    record = tmp_path / "checked.json"
    assert check_desk_files(desk, record) is True
    desk.agencies.write_text(desk.agencies.read_text(encoding="utf-8") + "\n[[agency]]\nname = 3\n")
    with pytest.raises(DataFileError, match="name must be a non-empty string"):
        check_desk_files(desk, record)
    with pytest.raises(DataFileError):  # a failed check is not remembered as passed
        check_desk_files(desk, record)


def test_a_damaged_record_only_means_checking_again(desk, tmp_path):
    record = tmp_path / "checked.json"
    record.write_text("{not json")
    assert check_desk_files(desk, record) is True
    assert check_desk_files(desk, record) is False
