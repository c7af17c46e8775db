"""The site's own 404 and 500 pages: the 404 in the site's layout, the 500 standalone (no
base template, no database), and JSON on API paths."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from config.errors import server_error

pytestmark = pytest.mark.django_db


def test_an_unknown_page_or_model_gets_the_styled_404(client):
    for path in ("/no-such-page/", "/leaderboard/text/models/no-such-model/"):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 404
        assert "Page not found" in html and 'aria-label="Main"' in html, path


def test_an_api_path_answers_404_in_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_an_unexpected_error_gets_the_standalone_500_page(django_assert_num_queries):
    request = RequestFactory().get("/leaderboard/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        with django_assert_num_queries(0):
            response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html and "{%" not in html and "<script" not in html


def test_an_unexpected_error_on_an_api_path_answers_json():
    request = RequestFactory().get("/api/v1/leaderboards/text/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 500
    assert response.content == b'{"detail": "Internal server error."}'
