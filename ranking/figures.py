"""Figures ready to publish: the frontier's and the leaderboard's charts drawn on the server as
SVG or PNG, from the same rows as their CSV downloads, with a light background, axis titles
and a caption (what period or snapshot, "95% bootstrap interval", the data licence).

matplotlib's object API only (no ``pyplot``: no global figure state, safe in threads). SVG
text stays text (``svg.fonttype: none``): a report's editor can restyle it and it can be
searched. No database access here: callers pass the rows and the words.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import textwrap
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from arena.cache import cache_get_or_none, cache_set_quietly
from ranking.frontier_rows import FrontierReport

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
FRONTIER_CHARTS = ("tops", "lag")
LEADERBOARD_CHARTS = ("scores", "observed", "predicted", "battles")
COLOURS = {"a": "#0b57d0", "b": "#c5221f"}
INTERVAL = "95% bootstrap interval"
NO_MONTHS = "No month has figures for these groups yet."
_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "arena",  # stable element ids: the same rows give the same file
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.labelsize": 9,
}
_PNG_DPI = 150
# A character the font lacks (a model named in a script DejaVu Sans does not cover) is a box
# in a PNG; an SVG keeps the text and the reader's fonts draw it. Either way matplotlib's
# warning per character would only fill the logs. Set once here, not around each drawing:
# warnings.catch_warnings is not thread-safe.
warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
_WIDTH = 8.0  # inches: a report's text width
_CAPTION_LINE = 0.17  # inches per caption line
#: Drawing takes a second or more (bench/figures.py); the same rows and words give the same
#: file, so a drawn figure is kept, keyed by what it is drawn from.
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class FigureText:
    """The words of a figure: its title, the legend labels of the two sides (frontier), the
    axis titles and the caption lines (each wrapped to the figure's width)."""

    title: str
    x_title: str
    y_title: str
    caption: tuple[str, ...]
    labels: tuple[str, str] = ("", "")

    @property
    def description(self) -> str:
        """The caption as one paragraph, for the file's metadata."""
        return " ".join(self.caption)


def render_figure(figure: Figure, fmt: str, text: FigureText) -> bytes:
    """The figure as ``svg`` or ``png`` bytes, with its title and caption in the metadata."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {tuple(FORMATS)}")
    metadata = {"Title": text.title, "Description": text.description}
    metadata |= {"Date": None} if fmt == "svg" else {"Software": None}
    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format=fmt, dpi=_PNG_DPI, facecolor="white", metadata=metadata)
    return buffer.getvalue()


def _figure(
    height: float, text: FigureText, *, below: float = 0.75, left: float = 0.09
) -> tuple[Figure, object]:
    """A white figure: its title on top, ``height`` inches of plot, ``below`` inches for the
    tick labels and the x axis title, then the caption; ``left``: the plot's left edge (a
    share of the width), room for the y tick labels."""
    lines = [line for item in text.caption for line in textwrap.wrap(item, 120)]
    title = textwrap.wrap(text.title, 75)
    caption_height = 0.2 + _CAPTION_LINE * len(lines)
    title_height = 0.3 + 0.2 * len(title)
    total = height + below + caption_height + title_height
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(_WIDTH, total), facecolor="white")
        axes = figure.add_subplot()
        axes.set_facecolor("white")
        figure.text(0.01, 1 - 0.12 / total, "\n".join(title), ha="left", va="top", fontsize=11)
        axes.set_xlabel(text.x_title)
        axes.set_ylabel(text.y_title)
        figure.text(
            0.01,
            0.1 / total,
            "\n".join(lines),
            ha="left",
            va="bottom",
            fontsize=7.5,
            color="#333333",
            linespacing=1.35,
        )
    figure.subplots_adjust(
        left=left,
        right=0.96,
        bottom=(caption_height + below) / total,
        top=1 - title_height / total,
    )
    return figure, axes


def _number(value: object) -> float:
    return float("nan") if value is None or value == "" else float(value)


def _month_ticks(axes: object, months: Sequence[str]) -> None:
    """At most about 12 month labels under the bars; an empty period says so in the plot."""
    step = max(1, math.ceil(len(months) / 12))
    positions = list(range(0, len(months), step))
    axes.set_xticks(positions, [months[i] for i in positions], rotation=45, ha="right")
    axes.set_xlim(-0.5, max(len(months), 1) - 0.5)
    if not months:
        axes.text(0.5, 0.5, NO_MONTHS, transform=axes.transAxes, ha="center", va="center")


def frontier_tops_figure(rows: Sequence[dict], text: FigureText) -> Figure:
    """Each group's best score per month with its interval as a band; a month without
    figures (a gap row) breaks the lines. ``rows``: the frontier's CSV rows."""
    figure, axes = _figure(3.6, text)
    x = np.arange(len(rows))
    with matplotlib.rc_context(_STYLE):
        for side, label in zip("ab", text.labels, strict=True):
            score = np.array([_number(r[f"{side}_score"]) for r in rows])
            low = np.array([_number(r[f"{side}_ci_low"]) for r in rows])
            high = np.array([_number(r[f"{side}_ci_high"]) for r in rows])
            colour = COLOURS[side]
            axes.fill_between(x, low, high, color=colour, alpha=0.15, linewidth=0)
            axes.plot(x, score, marker="o", markersize=3.5, color=colour, label=label)
        _month_ticks(axes, [r["month"] for r in rows])
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        axes.legend(loc="upper left", frameon=False)
    return figure


def frontier_lag_figure(rows: Sequence[dict], text: FigureText) -> Figure:
    """b's lag in months as bars: censored (lower-bound) bars hatched and pale, whiskers for
    the lag's interval where one exists (one current fit)."""
    figure, axes = _figure(2.6, text)
    colour = COLOURS["b"]
    with matplotlib.rc_context(_STYLE):
        for i, row in enumerate(rows):
            if row["lag_months"] is None:
                continue
            censored = bool(row["lag_censored"])
            axes.bar(
                i,
                row["lag_months"],
                color=colour,
                alpha=0.3 if censored else 0.9,
                hatch="///" if censored else None,
                edgecolor=colour,
                linestyle="--" if censored else "-",
                linewidth=0.8,
            )
            if row["lag_ci_low"] is not None:
                axes.plot([i, i], [row["lag_ci_low"], row["lag_ci_high"]], color="#333333", lw=1)
        _month_ticks(axes, [r["month"] for r in rows])
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.set_ylim(bottom=0)
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    return figure


def scores_figure(rows: Sequence[dict], text: FigureText) -> Figure:
    """Every model's score with its interval, best at the top; a side the votes do not bound
    (``inf``) runs to the edge with an arrow. ``rows``: the snapshot's ratings CSV rows."""
    shown = list(reversed(rows))
    longest = max((len(r["display_name"]) for r in shown), default=10)
    figure, axes = _figure(
        max(2.0, 0.16 * len(shown) + 0.6), text, below=0.55, left=min(0.45, 0.03 + 0.009 * longest)
    )
    scores = np.array([float(r["score"]) for r in shown])
    lows = np.array([float(r["ci_low"]) for r in shown])
    highs = np.array([float(r["ci_high"]) for r in shown])
    finite = np.concatenate([scores, lows[np.isfinite(lows)], highs[np.isfinite(highs)]])
    left, right = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
    margin = max(10.0, 0.04 * (right - left))
    left, right = left - margin, right + margin
    y = np.arange(len(shown))
    with matplotlib.rc_context(_STYLE):
        axes.hlines(y, np.clip(lows, left, right), np.clip(highs, left, right), color="#0b57d0")
        axes.plot(scores, y, "o", color="#0b57d0", markersize=3)
        for i in np.flatnonzero(~np.isfinite(lows)):
            axes.plot(left, y[i], "<", color="#0b57d0", markersize=4)
        for i in np.flatnonzero(~np.isfinite(highs)):
            axes.plot(right, y[i], ">", color="#0b57d0", markersize=4)
        axes.set_yticks(y, [r["display_name"] for r in shown], fontsize=7)
        axes.set_xlim(left, right)
        axes.set_ylim(-0.7, len(shown) - 0.3)
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    return figure


def matrix_figure(
    names: Sequence[str],
    matrix: Sequence[Sequence[float | None]],
    text: FigureText,
    *,
    rates: bool,
) -> Figure:
    """A K x K matrix as a heatmap (row model against column model); blank where a cell has
    no value. ``matrix``: the rows of the snapshot's matrix CSV, in ``names`` order;
    ``rates``: values are win rates (0 to 1, red to blue), else counts."""
    values = np.array([[_number(v) for v in row] for row in matrix], dtype=float)
    longest = max((len(name) for name in names), default=10)
    label_room = 0.3 + 0.065 * longest  # inches: rotated tick labels under the matrix
    figure, axes = _figure(
        max(3.5, 0.24 * len(names) + 1.0),
        text,
        below=label_room + 0.3,
        left=min(0.45, (label_room + 0.3) / _WIDTH),
    )
    scale = {"cmap": "RdBu", "vmin": 0.0, "vmax": 1.0} if rates else {"cmap": "Blues"}
    with matplotlib.rc_context(_STYLE):
        image = axes.imshow(values, **scale)
        axes.set_xticks(range(len(names)), names, rotation=90, fontsize=6)
        axes.set_yticks(range(len(names)), names, fontsize=6)
        figure.colorbar(image, ax=axes, shrink=0.8)
    return figure


def frontier_text(report: FrontierReport, chart: str, *, licence: str) -> FigureText:
    """The words of a frontier chart: the groups, the modality and scope, the period and
    where its figures come from, what the bands or whiskers are, and the licence."""
    a, b = report.a_label, report.b_label
    scope = ", ".join(
        f"{name} {value}"
        for name, value in (("category", report.category), ("language", report.language))
        if value
    )
    what = f"the {report.modality} frontier" if report.modality else "a published history"
    months = [row["month"] for row in report.rows()]
    period = f"{months[0]} to {months[-1]}" if months else "no months"
    snapshot = report.sources[0].snapshot_id if report.sources else None
    source = {
        "asof": "as of each month's end (month-end snapshots linked onto the last month's scale)",
        "current": f"current ratings (snapshot {snapshot}), each model from its release month",
    }.get(report.mode, "a published rating history")
    # A published history gives each model's own interval, not bootstrap replicates.
    published = report.mode == "published"
    interval = "the published 95% interval" if published else INTERVAL
    breaks = (
        "months not in the history"
        if published
        else "months without counted votes or without a snapshot"
    )
    min_votes = report.frontier.min_votes if report.frontier else 0
    counted = f" A group's best needs at least {min_votes:g} votes." if min_votes else ""
    if chart == "tops":
        return FigureText(
            title=f"{a} vs {b}: best score per month ({what})",
            x_title="Month",
            y_title="Best score (Elo scale)",
            labels=(a, b),
            caption=(
                f"{period}, {source}{'; ' + scope if scope else ''}.",
                f"Bands: {interval} of each group's best score.{counted} Breaks: {breaks}.",
                licence,
            ),
        )
    return FigureText(
        title=f"Lag of {b} behind {a}, in months ({what})",
        x_title="Month",
        y_title="Lag (months with data)",
        labels=(a, b),
        caption=(
            f"{period}, {source}{'; ' + scope if scope else ''}.",
            f"Lag: months since the best of {a} first reached the best score of {b} that month. "
            "Hatched bars are "
            f"lower bounds (no data before). Whiskers: {INTERVAL} of the lag (one current "
            "fit only; month-end fits are separate draws).",
            licence,
        ),
    )


FRONTIER_FIGURES = {"tops": frontier_tops_figure, "lag": frontier_lag_figure}


def frontier_figure(report: FrontierReport, chart: str, fmt: str, *, licence: str) -> bytes:
    """A chart (``tops`` or ``lag``) of the report as ``svg`` or ``png``, drawn from
    ``report.rows()``: the rows of its CSV. The page's downloads and ``manage.py frontier
    --plot`` both call this."""
    text = frontier_text(report, chart, licence=licence)
    rows = report.rows()
    return cached_figure(
        ("frontier", chart, fmt, rows, asdict(text)),
        lambda: render_figure(FRONTIER_FIGURES[chart](rows, text), fmt, text),
    )


def cached_figure(source: object, draw: Callable[[], bytes]) -> bytes:
    """``draw()``, or the file it gave before for the same ``source`` (everything the figure
    is drawn from, JSON-able). A cache outage only costs the drawing."""
    digest = hashlib.sha256(json.dumps(source, sort_keys=True, default=str).encode()).hexdigest()
    key = f"arena-figure-{digest}"
    body = cache_get_or_none(key)
    if body is None:
        body = draw()
        cache_set_quietly(key, body, timeout=CACHE_SECONDS)
    return body


#: What each leaderboard chart shows, and whether its values are win rates.
LEADERBOARD_TITLES = {
    "scores": "scores with 95% bootstrap intervals",
    "observed": "observed win rate, row model against column model",
    "predicted": "win rate predicted by the scores, row model against column model",
    "battles": "battles between each pair of models",
}


def leaderboard_text(
    chart: str, *, modality: str, snapshot_words: str, licence: str, shown: str
) -> FigureText:
    """The words of a leaderboard chart: ``snapshot_words`` says which snapshot (cutoff,
    votes, method), ``shown`` which models are drawn."""
    axes = (
        ("Score (Elo scale)", "Model")
        if chart == "scores"
        else ("Column model (opponent)", "Row model")
    )
    note = {
        "scores": f"Whiskers: {INTERVAL}; an arrow: a side the votes do not bound.",
        "observed": "Wins over battles, ties half; blank where two models never met. Scores "
        f"behind the ranking carry a {INTERVAL} (scores figure).",
        "predicted": "Bradley-Terry P(row beats column) from the point scores, whose "
        f"{INTERVAL} is in the scores figure.",
        "battles": f"Counted votes per pair; the scores' {INTERVAL} is in the scores figure.",
    }[chart]
    return FigureText(
        title=f"{modality.capitalize()} leaderboard: {LEADERBOARD_TITLES[chart]}",
        x_title=axes[0],
        y_title=axes[1],
        caption=(snapshot_words, f"{shown}. {note}", licence),
    )
