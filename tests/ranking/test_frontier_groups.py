"""Frontier groups, openness, figures and the summary from snapshots: API, CSV, page, figure
downloads and the command on the same votes."""

from __future__ import annotations

import csv
import io
import json
import warnings
import xml.etree.ElementTree as ElementTree

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.html import escape
from PIL import Image

from ranking.figures import (
    FRONTIER_FIGURES,
    NO_MONTHS,
    FigureText,
    frontier_text,
    render_figure,
)
from ranking.frontier import frontier_monthly
from ranking.frontier_groups import COMPARISONS
from ranking.frontier_rows import COLUMNS, COUNT_COLUMNS, FLAG_COLUMNS, TEXT_COLUMNS

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def open_data(frontier_data):
    """alpha (US, 1200) proprietary, gamma (US, 1000) open, beta (CN, 1100) open, delta (CN,
    900) of unknown openness: in no licence group."""
    for key, weights in (
        ("alpha", "proprietary"),
        ("gamma", "open"),
        ("beta", "open"),
        ("delta", "unknown"),
    ):
        frontier_data[key].weights = weights
        frontier_data[key].save()
    return frontier_data


def typed(row: dict) -> dict:
    """A CSV row back to the JSON's types."""
    out = {}
    for name, text in row.items():
        if name in TEXT_COLUMNS:
            out[name] = text or None
        elif name in FLAG_COLUMNS:
            out[name] = text == "True"
        elif text == "":
            out[name] = None
        else:
            out[name] = int(text) if name in COUNT_COLUMNS else float(text)
    return out


def svg_texts(body: bytes) -> str:
    """Every piece of text of an SVG (it must parse as XML), joined by spaces."""
    root = ElementTree.fromstring(body)
    return " ".join("".join(element.itertext()) for element in root.iter(f"{SVG}text"))


@pytest.mark.parametrize("mode", ["asof", "current"])
def test_open_weights_us_against_china_leaves_unknown_models_out_and_counts_them(
    client, open_data, mode
):
    body = client.get(f"/api/v1/frontier/?modality=text&mode={mode}&a=US:open&b=CN:open").json()
    assert (body["a"], body["b"]) == ("US:open", "CN:open")
    assert (body["a_label"], body["b_label"]) == (
        "United States, open weights",
        "China, open weights",
    )
    last = body["rows"][-1]
    assert (last["a_model"], last["b_model"]) == ("gamma", "beta")
    assert (last["a_group"], last["a_country"], last["a_weights"]) == ("US:open", "US", "open")
    assert last["leader"] == "CN:open" and last["lag_months"] == 0
    assert last["b_unknown_weights"] == 1 and last["a_unknown_weights"] == 0
    assert body["unknown_weights"] == {"a": [], "b": ["delta"]}
    assert (
        "China's best open-weights model, Beta, led the US's best open-weights model"
        in (body["summary"])
    )
    # The country comparison still counts every model of the two countries.
    countries = client.get(f"/api/v1/frontier/?modality=text&mode={mode}").json()
    assert countries["rows"][-1]["a_model"] == "alpha"
    assert countries["unknown_weights"] == {"a": [], "b": []}


def test_open_weights_against_proprietary_worldwide_and_a_set_of_countries(client, open_data):
    world = client.get("/api/v1/frontier/?modality=text&a=proprietary&b=open").json()
    last = world["rows"][-1]
    assert (last["a_model"], last["b_model"], last["leader"]) == ("alpha", "beta", "proprietary")
    assert last["gap_ci_low"] <= last["gap"] <= last["gap_ci_high"]
    assert world["unknown_weights"] == {"a": ["delta"], "b": ["delta"]}
    allies = client.get("/api/v1/frontier/?modality=text&a=us,gb&b=CN").json()
    assert allies["a"] == "US,GB" and allies["rows"][-1]["a_model"] == "alpha"
    # A named comparison sets both sides.
    named = client.get("/api/v1/frontier/?modality=text&compare=china-open-us-proprietary").json()
    assert (named["a"], named["b"]) == ("US:proprietary", "CN:open")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("a=US:semi", "a", "'semi' is not a licence class: use open or proprietary"),
        ("b=XX:open", "b", "'XX' is not an ISO 3166-1 alpha-2 country code"),
        ("a=US,US", "a", "US is listed twice in 'US,US'"),
        ("a=:open", "a", "':open' has no country before ':'; write e.g. CN:open, or open"),
        ("a=gb,us&b=US,GB", "b", "US,GB is the same models as GB,US: compare two different groups"),
        ("compare=nope", "compare", '"nope" is not a valid choice.'),
    ],
)
def test_a_bad_group_is_a_400_that_says_what_is_wrong(client, query, field, message):
    for url in ("/api/v1/frontier/", "/api/v1/frontier.csv", "/api/v1/frontier/tops.svg"):
        response = client.get(f"{url}?modality=text&{query}")
        assert response.status_code == 400
        assert response.json() == {field: [message]}
    page = client.get(f"/frontier/?modality=text&{query}")
    assert page.status_code == 400 and escape(message) in page.content.decode()


def test_the_csv_has_the_group_columns_and_the_same_rows_as_the_json(client, open_data):
    query = "modality=text&mode=current&a=US:open&b=CN:open"
    response = client.get(f"/api/v1/frontier.csv?{query}")
    assert response["Content-Disposition"].endswith(
        'filename="arena-frontier-text-current-US-open-vs-CN-open.csv"'
    )
    table = [typed(row) for row in csv.DictReader(io.StringIO(response.content.decode()))]
    assert list(table[0]) == list(COLUMNS)
    assert table == client.get(f"/api/v1/frontier/?{query}").json()["rows"]


@pytest.mark.parametrize(("chart", "mode"), [("tops", "asof"), ("lag", "current")])
def test_a_figure_is_drawn_from_the_rows_of_the_csv(client, open_data, settings, chart, mode):
    settings.ARENA_DATA_LICENCE = "Data: test licence CC0"
    query = f"modality=text&mode={mode}&a=US:open&b=CN:open"
    svg = client.get(f"/api/v1/frontier/{chart}.svg?{query}")
    assert svg["Content-Type"] == "image/svg+xml"
    texts = svg_texts(svg.content)
    for words in ("Month", "95% bootstrap interval", "Data: test licence CC0", "2024-03"):
        assert words in texts
    assert ("Best score (Elo scale)" if chart == "tops" else "Lag (months with data)") in texts
    assert "United States, open weights" in texts and "China, open weights" in texts
    # The same figure, drawn again from the CSV's rows, is the same file.
    csv_body = client.get(f"/api/v1/frontier.csv?{query}").content.decode()
    rows = [typed(row) for row in csv.DictReader(io.StringIO(csv_body))]
    report = frontier_monthly(modality="text", mode=mode, a="US:open", b="CN:open")
    text = frontier_text(report, chart, licence="Data: test licence CC0")
    assert render_figure(FRONTIER_FIGURES[chart](rows, text), "svg", text) == svg.content
    png = client.get(f"/api/v1/frontier/{chart}.png?{query}")
    assert png["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.format == "PNG" and image.width >= 1000
    assert image.getpixel((2, 2))[:3] == (255, 255, 255)  # a light background
    assert "95% bootstrap interval" in image.text["Description"]
    assert "Data: test licence CC0" in image.text["Description"]


@pytest.mark.parametrize("chart", FRONTIER_FIGURES)
def test_a_figure_of_no_months_says_so(chart):
    text = FigureText(title="Empty", x_title="Month", y_title="Score", caption=("None yet.",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = render_figure(FRONTIER_FIGURES[chart]([], text), "svg", text)
    assert NO_MONTHS in svg_texts(svg)
    assert not [w for w in caught if "singular" in str(w.message)]


def test_the_page_offers_named_comparisons_figures_and_the_summary(client, open_data):
    page = client.get("/frontier/?modality=text&compare=open-us-china").content.decode()
    for comparison in COMPARISONS:
        assert escape(comparison.title) in page
    assert '<option value="open-us-china" selected>' in page
    assert "United States, open weights vs China, open weights" in page
    assert "1 model of unknown openness left out of China, open weights: Delta" in page
    assert (
        "/api/v1/frontier/tops.svg?modality=text&amp;mode=asof&amp;a=US%3Aopen&amp;b=CN%3Aopen"
        in page
    )
    assert 'href="/frontier/summary/?modality=text&amp;mode=asof"' in page
    custom = client.get("/frontier/?modality=text&a=FR,DE&b=CN").content.decode()
    assert "Your groups: France and Germany vs China" in custom


def test_the_summary_page_has_one_paragraph_per_comparison(client, open_data):
    page = client.get("/frontier/summary/?modality=text&mode=current")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("data-paragraph") == len(COMPARISONS)
    assert "In 2024-03 China&#x27;s best, Beta, trailed the US&#x27;s best by" in html
    assert "China&#x27;s best open-weights model, Beta, led the US&#x27;s best open-weights" in html
    assert "95% interval" in html and "of unknown openness left out" in html
    assert client.get("/frontier/summary/?modality=audio").status_code == 400


def test_the_command_takes_groups_and_plots_the_pages_figure(open_data, tmp_path):
    out = io.StringIO()
    call_command(
        "frontier", "--modality", "text", "--a", "US:open", "--b", "CN:open",
        "--plot", str(tmp_path / "tops.svg"), stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert "US:open best" in out.getvalue()
    assert "1 model(s) of unknown openness left out of China, open weights: delta" in out.getvalue()
    assert "95% bootstrap interval" in svg_texts((tmp_path / "tops.svg").read_bytes())
    call_command(
        "frontier", "--modality", "text", "--mode", "current", "--a", "open", "--b", "proprietary",
        "--plot", str(tmp_path / "lag.PNG"), "--chart", "lag", stdout=io.StringIO(),
        stderr=io.StringIO(),
    )  # fmt: skip
    assert Image.open(tmp_path / "lag.png").format == "PNG"
    for args, message in (
        (["--a", "US:semi"], "--a: 'semi' is not a licence class: use open or proprietary"),
        (["--b", "us"], "--b: US is the same models as US: compare two different groups"),
        (["--plot", str(tmp_path / "x.pdf")], "the file name must end in .svg or .png"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("frontier", "--modality", "text", *args)


def test_markdown_gives_the_latest_month_of_every_comparison(open_data):
    out = io.StringIO()
    call_command("frontier", "--modality", "text", "--format", "markdown", stdout=out)
    text = out.getvalue()
    assert text.startswith("# The text frontier in brief (as of each month's end)")
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == [
        c.title for c in COMPARISONS
    ]
    assert "95% interval" in text and "Data: Arena votes and ratings" in text
    one = io.StringIO()
    call_command(
        "frontier", "--modality", "text", "--format", "markdown", "--a", "US,GB", "--b", "CN",
        stdout=one,
    )  # fmt: skip
    assert "## United States and United Kingdom vs China" in one.getvalue()


US_CHINA_HISTORY = (
    "month,model,country,score,ci_low,ci_high,votes\n"
    "2024-01,gpt-4-0125-preview,US,1250,1244,1256,30000\n"
    "2024-01,qwen1.5-72b-chat,CN,1147,1141,1153,20000\n"
    "2024-03,claude-3-opus,US,1253,1248,1258,40000\n"
    "2024-03,qwen1.5-110b-chat,CN,1161,1155,1167,9000\n"
    "2024-05,gpt-4o,US,1287,1282,1292,50000\n"
    "2024-05,yi-large,CN,1240,1234,1246,12000\n"
)


def test_the_published_us_china_table_is_the_same_with_or_without_a_licence_column(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text(US_CHINA_HISTORY)
    with_licence = tmp_path / "licence.csv"
    licences = {"gpt": "Proprietary", "claude": "Proprietary", "qwen": "Qianwen", "yi": "Yi"}
    lines = US_CHINA_HISTORY.splitlines()
    with_licence.write_text(
        "\n".join(
            [lines[0] + ",licence"]
            + [
                f"{line},{next(v for k, v in licences.items() if f',{k}' in line)}"
                for line in lines[1:]
            ]
        )
        + "\n"
    )
    tables = []
    for path in (plain, with_licence):
        out = io.StringIO()
        call_command("frontier", "--from-csv", str(path), "--format", "csv", stdout=out)
        tables.append(list(csv.DictReader(io.StringIO(out.getvalue()))))
    # Without openness in the history, every model's is unknown.
    assert {row["a_weights"] for row in tables[0] if row["a_model"]} == {"unknown"}
    by_month = {row["month"]: row for row in tables[0]}
    # The published table: gaps of 103, 92 and 47 points; in 2024-05 yi-large's 1240 was
    # first reached by the US in 2024-01 (1250): a lag of 4 months (a published history
    # knows no month to be empty, so every calendar month counts), a lower bound.
    assert [by_month[m]["gap"] for m in ("2024-01", "2024-03", "2024-05")] == [
        "103.0",
        "92.0",
        "47.0",
    ]
    assert by_month["2024-02"]["a_model"] == ""  # not in the history: a gap row
    assert (by_month["2024-05"]["lag_months"], by_month["2024-05"]["lag_censored"]) == ("4", "True")
    strip = [{k: v for k, v in row.items() if not k.endswith("_weights")} for row in tables[1]]
    assert strip == [
        {k: v for k, v in row.items() if not k.endswith("_weights")} for row in tables[0]
    ]
    assert tables[1][-1]["a_weights"] == "proprietary" and tables[1][-1]["b_weights"] == "open"
    out = io.StringIO()
    call_command(
        "frontier", "--from-csv", str(with_licence), "--a", "open", "--b", "proprietary",
        "--format", "json", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue())["rows"][-1]["b_model"] == "gpt-4o"
    with pytest.raises(CommandError, match="needs a licence or open_weights column"):
        call_command("frontier", "--from-csv", str(plain), "--a", "US:open")
