"""Bad parameters and unknown API paths answer in the API's words."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/frontier/?mode=", "mode"),
        ("/api/v1/frontier.csv?round=", "round"),
        ("/api/v1/battles/next/?modality=", "modality"),
        ("/api/v1/me/?modality=", "modality"),
        ("/api/v1/snapshots/?kind=", "kind"),
    ],
)
def test_an_empty_parameter_is_refused_not_taken_for_the_default(client, path, field):
    response = client.get(path)
    assert response.status_code == 400
    assert response.json() == {field: ["This field may not be blank."]}


def test_empty_filters_of_a_battle_mean_no_filter(client, text_arena):
    response = client.get("/api/v1/battles/next/?modality=text&category=&language=")
    assert response.status_code == 200


def test_an_api_path_no_route_matches_is_a_json_404(client):
    response = client.get("/api/v1/snapshots/not-a-number/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_page_no_route_matches_is_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in response["Content-Security-Policy"]
