"""With the database and the broker unreachable, every API endpoint answers in the API's own
words (JSON 503 with Retry-After) and pages answer a styled 503 page: gunicorn with the
production settings, PostgreSQL and Redis both pointed at closed ports."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.stack.conftest import ROOT, free_port, get, production_env, run_once, stop, wait_for

pytestmark = [pytest.mark.stack, pytest.mark.slow]

#: One request per API route (by URL name); the test fails when a route is missing here.
API_REQUESTS = {
    "arena:api-battle-next": ("GET", "/api/v1/battles/next/?modality=text"),
    "arena:api-vote": ("POST", "/api/v1/votes/"),
    "arena:api-me": ("GET", "/api/v1/me/"),
    "ranking:api-leaderboard": ("GET", "/api/v1/leaderboards/text/"),
    "ranking:api-frontier": ("GET", "/api/v1/frontier/"),
    "ranking:api-frontier-csv": ("GET", "/api/v1/frontier.csv"),
    "ranking:api-frontier-figure": ("GET", "/api/v1/frontier/tops.svg"),
    "ranking:api-snapshots": ("GET", "/api/v1/snapshots/"),
    "ranking:api-snapshot": ("GET", "/api/v1/snapshots/1/"),
    "ranking:api-snapshot-download": ("GET", "/api/v1/snapshots/1/ratings.csv"),
    "ranking:api-snapshot-win-rates": ("GET", "/api/v1/snapshots/1/win_rates.json"),
    "ranking:api-snapshot-matrix": ("GET", "/api/v1/snapshots/1/matrices/wins.csv"),
    "ranking:api-snapshot-figure": ("GET", "/api/v1/snapshots/1/figures/scores.svg"),
    "ranking:api-snapshot-transparency": ("GET", "/api/v1/snapshots/1/transparency/"),
    "ranking:api-model-elo": ("GET", "/api/v1/models/some-model/elo/"),
}
PAGES = ["/", "/arena/text/", "/leaderboard/", "/frontier/"]


def _api_route_names(patterns: list, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _api_route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and str(pattern.pattern).lstrip("^").startswith(
            "api/v1/"
        ):
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_api_route_is_listed():
    assert _api_route_names(get_resolver().url_patterns) == set(API_REQUESTS)


#: A returning voter's browser: a session (reading it needs the database) and the CSRF
#: cookie, echoed in the header of a POST as the page does.
CSRF = "k" * 32
BROWSER = {"Host": "localhost", "Cookie": f"csrftoken={CSRF}; sessionid={'s' * 32}"}


def _request(method: str, url: str) -> tuple[int, dict[str, str], bytes]:
    if method == "GET":
        return get(url, BROWSER)
    request = urllib.request.Request(
        url,
        data=json.dumps({"token": "x", "choice": "a"}).encode(),
        method="POST",
        headers=BROWSER | {"Content-Type": "application/json", "X-CSRFToken": CSRF},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_database_and_broker_down_answer_503_with_retry_after(tmp_path):
    closed_database, closed_redis, port = free_port(), free_port(), free_port()
    env = production_env(
        tmp_path,
        f"postgres://postgres@127.0.0.1:{closed_database}/arena",
        f"redis://127.0.0.1:{closed_redis}/0",
        "arena-outage",
        SECURE_SSL_REDIRECT="false",
    )
    run_once([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    log = tmp_path / "web.log"
    web = subprocess.Popen(
        ["gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: get(f"{base}/healthz")[0], seconds=60, what="gunicorn", logs=[log])
        for name, (method, path) in API_REQUESTS.items():
            status, headers, body = _request(method, base + path)
            assert status == 503, (name, status, body[:300])
            assert headers["Content-Type"].startswith("application/json"), name
            assert json.loads(body)["detail"].startswith("The service is temporarily"), name
            assert int(headers["Retry-After"]) > 0, name
        for path in PAGES:
            status, headers, body = get(base + path, BROWSER)
            assert status == 503, (path, status, body[:300])
            assert headers["Content-Type"].startswith("text/html"), path
            assert b"Temporarily unavailable" in body and b"/static/css/app." in body, path
            assert int(headers["Retry-After"]) > 0, path
        # /healthz says which check failed, as it always did.
        status, _, body = get(f"{base}/healthz", {"Host": "localhost"})
        report = json.loads(body)
        assert status == 503 and not report["checks"]["database"]["ok"]
        assert not report["checks"]["broker"]["ok"]
    finally:
        assert stop([web]) == [0]
