"""Every download and API response names the data's licence; while demo data is present,
each says "demo" (file name and header, and the figures' captions); counts are integers."""

from __future__ import annotations

import csv
import io

import pytest

from arena.models import Vote
from arena.site_data import demo_flag_forget
from tests.ranking.conftest import cast_votes, compute_snapshot

pytestmark = pytest.mark.django_db

LICENCE_LINK = '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'


@pytest.fixture
def snapshot():
    cast_votes([("ant", "bee", "a", 250), ("ant", "bee", "b", 106), ("bee", "cat", "tie", 7)])
    return compute_snapshot(rounds=100)


def make_demo() -> None:
    Vote.objects.filter(source="test").update(source=Vote.SOURCE_DEMO)
    demo_flag_forget()


def downloads(pk: int) -> list[str]:
    return [
        f"/api/v1/snapshots/{pk}/ratings.csv",
        f"/api/v1/snapshots/{pk}/ratings.json",
        f"/api/v1/snapshots/{pk}/pairs.csv",
        f"/api/v1/snapshots/{pk}/win_rates.csv",
        f"/api/v1/snapshots/{pk}/matrices/battles.csv",
        f"/api/v1/snapshots/{pk}/figures/scores.svg",
        "/api/v1/frontier.csv?modality=text&mode=current",
        "/api/v1/frontier/tops.svg?modality=text&mode=current",
    ]


def test_every_api_response_and_download_names_the_licence(client, snapshot, settings):
    settings.ARENA_DATA_LICENCE = "Data: test licence CC0"
    for url in [*downloads(snapshot.pk), "/api/v1/leaderboards/text/", "/api/v1/nothing/"]:
        response = client.get(url)
        assert response["Link"] == LICENCE_LINK, url
        assert response["X-Data-Licence"] == "Data: test licence CC0", url
        assert "X-Arena-Demo-Data" not in response, url
    assert "Link" not in client.get("/leaderboard/")  # pages link it in their footer
    assert 'rel="license"' in client.get("/leaderboard/").content.decode()


def test_downloads_of_demo_data_say_demo_in_their_name_header_and_caption(client, snapshot):
    assert "demo" not in client.get(downloads(snapshot.pk)[0])["Content-Disposition"]
    make_demo()
    for url in downloads(snapshot.pk):
        response = client.get(url)
        assert response["X-Arena-Demo-Data"], url
        if url.endswith("ratings.json"):
            continue  # a JSON body to read, not a file to save: the header says it
        name = response["Content-Disposition"]
        assert 'filename="arena-demo-' in name, (url, name)
    figure = client.get(f"/api/v1/snapshots/{snapshot.pk}/figures/scores.svg").content
    assert b"DEMO DATA" in figure


def test_counts_in_the_csvs_are_integers(client, snapshot):
    ratings = list(csv.DictReader(io.StringIO(client.get(downloads(snapshot.pk)[0]).text)))
    ant = next(row for row in ratings if row["model"] == "ant")
    assert ant["votes"] == "356" and ant["wins"] == "250" and ant["losses"] == "106"
    bee = next(row for row in ratings if row["model"] == "bee")
    assert bee["ties"] == "7"
    pairs = list(csv.DictReader(io.StringIO(client.get(downloads(snapshot.pk)[2]).text)))
    assert all("." not in row[c] for row in pairs for c in ("a_wins", "b_wins", "battles"))
