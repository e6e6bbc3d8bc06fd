"""Wire metadata survives enrichment: ninjs 2/3 (``infoSources``, ``copyrightHolder``,
``located``) and NewsML-G2 (``infoSource``, ``provider``, ``located``) items keep the agency
and place their own fields carry, through the real ingest flow (a directory drop, Prefect,
Parquet, the views). Enrichment used to overwrite them with what the text said (nothing)."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
from typer.testing import CliRunner

from conftest import CORPUS_DIR
from newswire.cli.app import app
from newswire.warehouse.views import open_reader

pytestmark = pytest.mark.slow

WIRE = CORPUS_DIR / "wire"
# file -> (agency, place) the item's metadata gives, normalised by feeds/agencies.toml
# ("ASSOCIATED PRESS" is AP) and the gazetteer ("Oslo, Norway" is filed from Oslo).
AAP = (
    "ninjs/3.0/20231008-anti-doping-measures-at-the-tour-down-under-will-be-the-toughest-ever-addb-"
    "ninjs-nitf.json"
)
EXPECTED = {
    "ninjs/2.1/dpa_text.json": ("dpa", None),
    "ninjs/3.0/dpa_text.json": ("dpa", None),
    "ninjs/3.0/ap_video.json": ("AP", "Washington"),
    AAP: (None, "Oslo"),
    "newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml": ("AP", "New York"),
}


def _guid(path: str) -> str:
    if path.endswith(".json"):
        return json.loads((WIRE / path).read_bytes())["uri"]
    return "urn:newsml:acmenews.com:20161121:US-FINANCE-FED"


def test_ninjs_and_g2_items_keep_their_agency_and_place(prefect_server, tmp_path, data_dir):
    drop = tmp_path / "drop"
    for relative in EXPECTED:
        target = drop / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(WIRE / relative, target)
        moment = time.time() - 3600  # drop files are taken once they have settled
        os.utime(target, (moment, moment))
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        f'[[feed]]\nid = "agency-drop"\nname = "Agency drop"\npath = "{drop}"\nkind = "wire"\n'
        'language = "en"\ncountry = "US"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["ingest", "--catalog", str(catalog), "--data-dir", str(data_dir), "--force"]
    )
    assert result.exit_code == 0, result.output

    con = open_reader(data_dir)
    rows = dict(
        (guid, (agency, place))
        for guid, agency, place in con.execute(
            "SELECT guid, wire_agency, dateline_place FROM appearances WHERE feed_id = 'agency-drop'"
        ).fetchall()
    )
    con.close()
    for relative, (agency, place) in EXPECTED.items():
        guid = _guid(relative)
        assert guid in rows, (relative, sorted(rows))
        found_agency, found_place = rows[guid]
        if agency is not None:
            assert found_agency == agency, relative
        if place is not None:
            assert found_place == place, relative
