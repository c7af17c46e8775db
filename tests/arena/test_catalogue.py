from __future__ import annotations

from datetime import date

import pytest

from arena.catalogue import parse_catalogue_csv
from arena.demo import CATALOGUE_PATH
from arena.models import AIModel, Lab
from arena.services import catalogue_upsert

HEADER = "key,display_name,organisation,country,release_date,licence,open_weights,modalities\n"


def test_the_shipped_catalogue_parses_cleanly_with_known_countries():
    parsed = parse_catalogue_csv(CATALOGUE_PATH.read_bytes())
    assert parsed.errors == []
    by_key = {row.key: row for row in parsed.rows}
    assert len(by_key) == 301
    assert by_key["deepseek-r1"].country == "CN" and by_key["deepseek-r1"].open_weights
    assert (
        by_key["gpt-4o-2024-05-13"].country == "US" and not by_key["gpt-4o-2024-05-13"].open_weights
    )
    assert by_key["mistral-large-2407"].country == "FR"
    # the date written in the key wins over the first-listed date
    assert by_key["claude-3-opus-20240229"].release_date == date(2024, 2, 29)
    assert by_key["flux-1.1-pro"].modalities == ("image",)


def test_every_bad_cell_is_reported_with_row_and_column():
    data = HEADER + (
        "ok-model,OK,Lab A,US,2024-01-01,MIT,true,text\n"
        "bad key,Bad,Lab A,US,2024-01-01,MIT,true,text\n"
        "ok-model,Dup,Lab A,US,,MIT,false,text\n"
        "m3,M3,Lab B,ZZ,2024-02-30,MIT,perhaps,audio\n"
        "m4,M4,Lab A,FR,,MIT,false,text\n"
    )
    errors = [str(error) for error in parse_catalogue_csv(data).errors]
    assert errors == [
        "row 3, key: a model key is required and has no spaces",
        "row 4, key: duplicate of row 2",
        "row 5, country: 'ZZ' is not an ISO 3166-1 alpha-2 code",
        "row 5, release_date: '2024-02-30' is not a YYYY-MM-DD date",
        "row 5, open_weights: 'perhaps' is not true or false",
        "row 5, modalities: unknown ['audio']; use text|image|video",
        "row 6, country: 'Lab A' has country US on row 2; one organisation has one country",
    ]


def test_missing_columns_and_bad_encoding_are_reported_once():
    assert [str(e) for e in parse_catalogue_csv("key,display_name\nx,y\n").errors] == [
        "row 1: missing columns: organisation, country, release_date, licence, open_weights"
    ]
    assert "not UTF-8" in str(parse_catalogue_csv(b"\xff\xfe\x00k").errors[0])


@pytest.mark.django_db
def test_upsert_creates_then_updates_then_leaves_alone():
    first = parse_catalogue_csv(HEADER + "m1,Model One,Lab A,US,2024-01-01,MIT,true,text\n").rows
    assert str(catalogue_upsert(rows=first)) == (
        "labs: 1 created, 0 updated; models: 1 created, 0 updated, 0 unchanged"
    )
    assert str(catalogue_upsert(rows=first)).endswith("0 created, 0 updated, 1 unchanged")
    moved = parse_catalogue_csv(
        HEADER + "m1,Model 1,Lab A,CA,2024-01-01,MIT,true,text|image\n"
    ).rows
    assert str(catalogue_upsert(rows=moved)) == (
        "labs: 0 created, 1 updated; models: 0 created, 1 updated, 0 unchanged"
    )
    model = AIModel.objects.get(key="m1")
    assert (model.display_name, model.modalities, model.lab.country) == (
        "Model 1",
        ["text", "image"],
        "CA",
    )
    assert Lab.objects.count() == 1
