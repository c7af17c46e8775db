"""The leaderboard's figures as SVG and PNG, drawn from the rows of the snapshot's CSVs."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from arena.models import AIModel
from ranking.figure_views import snapshot_words
from ranking.figures import (
    cached_figure,
    leaderboard_text,
    matrix_figure,
    render_figure,
    scores_figure,
)
from tests.ranking.conftest import compute_snapshot
from tests.ranking.test_frontier_groups import svg_texts

pytestmark = pytest.mark.django_db
LICENCE = "Data: Arena votes and ratings, licensed CC BY 4.0"
ROOT = Path(__file__).resolve().parents[2]


def test_the_scores_figure_is_the_ratings_csv_drawn(client, voted_models):
    snapshot = compute_snapshot()
    url = f"/api/v1/snapshots/{snapshot.pk}/figures/scores.svg"
    response = client.get(url)
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"].endswith(f'arena-text-{snapshot.pk}-scores.svg"')
    texts = svg_texts(response.content)
    for words in ("Score (Elo scale)", "Model", "95% bootstrap interval", LICENCE):
        assert words in texts
    assert f"Snapshot {snapshot.pk}: votes cast before 2024-06-01 00:00 UTC" in texts
    assert all(model.display_name in texts for model in voted_models.values())
    body = client.get(f"/api/v1/snapshots/{snapshot.pk}/ratings.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    text = leaderboard_text(
        "scores",
        modality="text",
        snapshot_words=snapshot_words(snapshot),
        licence=LICENCE,
        shown="4 models (all)",
    )
    assert render_figure(scores_figure(rows, text), "svg", text) == response.content
    # The page's minimum votes leaves the same models out of the figure as out of the table.
    fewer = svg_texts(client.get(f"{url}?min_votes=100000").content)
    assert "0 models (models with at least 100000 votes)" in fewer


@pytest.mark.parametrize("chart", ["observed", "predicted", "battles"])
def test_a_matrix_figure_is_the_matrix_csv_drawn_for_the_top_models(client, voted_models, chart):
    snapshot = compute_snapshot()
    response = client.get(f"/api/v1/snapshots/{snapshot.pk}/figures/{chart}.svg?top=3")
    texts = svg_texts(response.content)
    assert "Column model (opponent)" in texts and "Row model" in texts and LICENCE in texts
    assert "The top 3 models (all)" in texts and "95% bootstrap interval" in texts
    body = client.get(f"/api/v1/snapshots/{snapshot.pk}/matrices/{chart}.csv").content.decode()
    table = list(csv.reader(io.StringIO(body)))
    keys = [row[0] for row in table[1:]]
    top = keys[:3]  # the matrices list the models in board order, best first
    values = [
        [None if cell == "" else float(cell) for cell in row[1 : len(top) + 1]]
        for row in table[1 : len(top) + 1]
    ]
    text = leaderboard_text(
        chart,
        modality="text",
        snapshot_words=snapshot_words(snapshot),
        licence=LICENCE,
        shown="The top 3 models (all)",
    )
    names = [AIModel.objects.get(key=key).display_name for key in top]  # as the table shows
    figure = matrix_figure(names, values, text, rates=chart != "battles")
    assert render_figure(figure, "svg", text) == response.content


def test_png_figures_are_pngs_on_white_with_the_caption_in_their_metadata(client, voted_models):
    snapshot = compute_snapshot()
    response = client.get(f"/api/v1/snapshots/{snapshot.pk}/figures/observed.png")
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.getpixel((2, 2))[:3] == (255, 255, 255)
    assert LICENCE in image.text["Description"]


def test_bad_figure_requests_are_refused_precisely(client, voted_models):
    snapshot = compute_snapshot()
    bad = client.get(f"/api/v1/snapshots/{snapshot.pk}/figures/scores.svg?top=1&min_votes=-2")
    assert bad.status_code == 400
    assert set(bad.json()) == {"top", "min_votes"}
    assert client.get("/api/v1/snapshots/999999/figures/scores.svg").status_code == 404
    assert client.get(f"/api/v1/snapshots/{snapshot.pk}/figures/pie.svg").status_code == 404


def test_the_leaderboard_links_every_figure_as_svg_and_png(client, voted_models):
    snapshot = compute_snapshot()
    page = client.get("/leaderboard/text/?min_votes=10").content.decode()
    for chart in ("scores", "observed", "predicted", "battles"):
        for fmt in ("svg", "png"):
            assert f"/api/v1/snapshots/{snapshot.pk}/figures/{chart}.{fmt}?min_votes=10" in page


def test_a_figure_is_drawn_once_for_the_same_rows_and_words():
    drawn = []

    def draw() -> bytes:
        drawn.append(1)
        return b"<svg/>"

    source = ("test-only", [{"month": "2024-01", "a_score": 1.5}])
    assert cached_figure(source, draw) == cached_figure(source, draw) == b"<svg/>"
    assert len(drawn) == 1
    cached_figure(("test-only", [{"month": "2024-01", "a_score": 1.6}]), draw)
    assert len(drawn) == 2


# A model named in a script the figures' font lacks: matplotlib warns once per character.
# pytest resets warning filters around each test, so the module's own filter is seen in a
# fresh interpreter that turns any other UserWarning into an error.
DRAWN_IN_A_FRESH_PROCESS = """
import django
django.setup()
from ranking.figures import FigureText, render_figure, scores_figure
text = FigureText("Scores", "Score", "Model", ("caption",))
rows = [{"display_name": "通义千问 Qwen", "score": "1200", "ci_low": "1190", "ci_high": "1210"}]
print(len(render_figure(scores_figure(rows, text), "png", text)))
"""


def test_characters_the_font_lacks_draw_without_a_warning_per_character():
    drawn = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", DRAWN_IN_A_FRESH_PROCESS],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        timeout=300,
    )
    assert drawn.returncode == 0, drawn.stderr
    assert int(drawn.stdout) > 1000  # a PNG was drawn
