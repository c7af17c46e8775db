from __future__ import annotations

from datetime import date, timedelta

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
    assert by_key["deepseek-r1"].country == "CN" and by_key["deepseek-r1"].weights == "open"
    assert by_key["gpt-4o-2024-05-13"].country == "US"
    assert by_key["gpt-4o-2024-05-13"].weights == "proprietary"
    assert by_key["mistral-large-2407"].country == "FR"
    # the date written in the key wins over the first-listed date
    assert by_key["claude-3-opus-20240229"].release_date == date(2024, 2, 29)
    assert by_key["flux-1.1-pro"].modalities == ("image",)


def test_the_shipped_catalogue_has_169_open_models_and_132_not_from_its_licence_strings():
    rows = parse_catalogue_csv(CATALOGUE_PATH.read_bytes()).rows
    by_weights = {w: sorted(r.key for r in rows if r.weights == w) for w in AIModel.Weights}
    assert len(by_weights["open"]) == 169
    # Not open: 130 "Proprietary" (one spelt "Propretary"), and two the public metadata gives
    # no licence for ("-"), which stay unknown instead of counting as proprietary.
    assert len(by_weights["proprietary"]) == 130
    assert by_weights["unknown"] == ["llama-4-maverick-03-26-experimental", "nvila-internal-15b-v1"]
    licences = {r.key: r.licence for r in rows}
    assert licences["claude-3-5-haiku-20241022"] == "Propretary"
    assert "claude-3-5-haiku-20241022" in by_weights["proprietary"]
    # Research-only and non-commercial licences still ship weights.
    assert {"alpaca-13b", "mistral-large-2407"} <= set(by_weights["open"])


def test_an_explicit_open_weights_cell_wins_over_the_licence_and_blank_defers_to_it():
    data = HEADER + (
        "a,A,Lab A,US,,Proprietary,,text\n"
        "b,B,Lab A,US,,Apache-2.0,,text\n"
        "c,C,Lab A,US,,,,text\n"
        "d,D,Lab A,US,,,false,text\n"
        "e,E,Lab A,US,,Custom licence,unknown,text\n"
        "f,F,Lab A,US,,Proprietary,yes,text\n"
    )
    parsed = parse_catalogue_csv(data)
    assert parsed.errors == []
    assert [row.weights for row in parsed.rows] == [
        "proprietary",
        "open",
        "unknown",
        "proprietary",
        "unknown",
        "open",
    ]
    without_column = "key,display_name,organisation,country,release_date,licence\n"
    (row,) = parse_catalogue_csv(without_column + "g,G,Lab A,US,,-\n").rows
    assert row.weights == "unknown"


def release(row):
    return (row.release_date, row.release_date_source, row.release_date_precision)


def test_the_shipped_catalogue_dates_releases_from_the_best_source_it_has():
    by_key = {row.key: row for row in parse_catalogue_csv(CATALOGUE_PATH.read_bytes()).rows}
    # A month and day in the key, in the year before the first listing (2024-01-09).
    assert release(by_key["gpt-4-0314"]) == (date(2023, 3, 14), "key", "day")
    assert release(by_key["gpt-4-1106-preview"]) == (date(2023, 11, 6), "key", "day")
    # Mistral's year and month; Cohere's month and year; a date in the display name.
    assert release(by_key["mistral-large-2402"]) == (date(2024, 2, 1), "key", "month")
    assert release(by_key["command-r-08-2024"]) == (date(2024, 8, 1), "key", "month")
    assert release(by_key["chatgpt-4o-latest"]) == (date(2024, 8, 8), "key", "day")
    # 2023 models the first listing clamps to 2024-01-09, and DALL-E 3 (listed in 2025).
    assert release(by_key["claude-1"]) == (date(2023, 3, 1), "manual", "month")
    assert release(by_key["alpaca-13b"]) == (date(2023, 3, 1), "manual", "month")
    assert release(by_key["dall-e-3"]) == (date(2023, 10, 1), "manual", "month")
    # Otherwise the first listing, an upper bound, kept apart from the release in any case.
    assert release(by_key["deepseek-r1"]) == (date(2025, 1, 24), "first_listed", "day")
    assert by_key["gpt-4-0314"].first_listed == date(2024, 1, 9)
    clamped = [row.key for row in by_key.values() if row.release_date == date(2024, 1, 9)]
    assert all(by_key[key].release_date_source == "first_listed" for key in clamped)
    assert len(clamped) == 22  # was 68 when every undated model took its first listing
    assert all(row.release_date <= row.first_listed + timedelta(days=31) for row in by_key.values())


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
        "row 5, open_weights: 'perhaps' is not one of true/yes/open, false/no/proprietary, "
        "unknown, or blank",
        "row 5, modalities: unknown ['audio']; use text|image|video",
        "row 6, country: 'Lab A' has country US on row 2; one organisation has one country",
    ]


def test_release_date_sources_and_precisions_are_checked_and_defaulted():
    header = HEADER.strip() + ",release_date_source,release_date_precision,first_listed\n"
    data = header + (
        "a,A,Lab A,US,2024-02-01,MIT,true,text,key,month,2024-03-05\n"
        "b,B,Lab A,US,2024-02-03,MIT,true,text,,,\n"
        "c,C,Lab A,US,,MIT,true,text,manual,,\n"
        "d,D,Lab A,US,2024-02-03,MIT,true,text,rumour,week,2024-13-01\n"
        "e,E,Lab A,US,2024-02-03,MIT,true,text,key,month,\n"
    )
    parsed = parse_catalogue_csv(data)
    assert [str(error) for error in parsed.errors] == [
        "row 4, release_date_source: given without a release_date",
        "row 5, first_listed: '2024-13-01' is not a YYYY-MM-DD date",
        "row 5, release_date_source: 'rumour' is not one of key|publication|manual|first_listed",
        "row 5, release_date_precision: 'week' is not one of day|month",
        "row 6, release_date: with month precision, write the 1st",
    ]
    a, b = parsed.rows
    assert release(a) == (date(2024, 2, 1), "key", "month") and a.first_listed == date(2024, 3, 5)
    # A date without its source was typed by someone: manual, to the day.
    assert release(b) == (date(2024, 2, 3), "manual", "day") and b.first_listed is None


def test_missing_columns_and_bad_encoding_are_reported_once():
    assert [str(e) for e in parse_catalogue_csv("key,display_name\nx,y\n").errors] == [
        "row 1: missing columns: organisation, country, release_date, licence"
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


@pytest.mark.django_db
def test_upsert_stores_the_source_precision_and_first_listing():
    header = HEADER.strip() + ",release_date_source,release_date_precision,first_listed\n"
    rows = parse_catalogue_csv(
        header + "m1,M1,Lab A,US,2023-03-01,MIT,true,text,manual,month,2024-01-09\n"
    ).rows
    catalogue_upsert(rows=rows)
    model = AIModel.objects.get(key="m1")
    assert (model.release_date_source, model.release_date_precision) == ("manual", "month")
    assert model.first_listed == date(2024, 1, 9) and model.release_shown == "2023-03"
    listed = parse_catalogue_csv(
        header + "m1,M1,Lab A,US,2024-01-09,MIT,true,text,first_listed,day,2024-01-09\n"
    ).rows
    assert str(catalogue_upsert(rows=listed)).endswith("1 updated, 0 unchanged")
    model.refresh_from_db()
    assert model.release_shown == "≤ 2024-01-09"


@pytest.mark.django_db
def test_the_database_refuses_a_date_without_a_source_and_a_source_without_a_date():
    from django.db import IntegrityError, transaction

    from tests.factories import AIModelFactory

    model = AIModelFactory(key="m1", release_date=date(2024, 5, 2))
    assert (model.release_date_source, model.release_date_precision) == ("manual", "day")
    for values in (
        {"release_date_source": ""},
        {"release_date": None},
        {"release_date_precision": "year"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            AIModel.objects.filter(pk=model.pk).update(**values)


@pytest.mark.django_db
def test_the_admin_lists_and_filters_models_by_release_date_source(admin_client_carol):
    from tests.factories import AIModelFactory

    AIModelFactory(
        key="claude-1",
        release_date=date(2023, 3, 1),
        release_date_source="manual",
        release_date_precision="month",
        first_listed=date(2024, 1, 9),
    )
    AIModelFactory(
        key="vicuna-7b", release_date=date(2024, 1, 9), release_date_source="first_listed"
    )
    page = admin_client_carol.get("/admin/arena/aimodel/").content.decode()
    assert "Release date source" in page and "First listed" in page and "Month" in page
    listed = admin_client_carol.get("/admin/arena/aimodel/?release_date_source=first_listed")
    html = listed.content.decode()
    assert "vicuna-7b" in html and "claude-1" not in html
