"""What the frontier shows: the report of one request, its flat rows (CSV, JSON, table) and
its sentence. No database access here."""

from __future__ import annotations

from dataclasses import dataclass, field

from pairwise.months import month_range
from ranking.frontier_groups import group_label, sentence_names
from ranking.stats.frontier import Frontier, FrontierMonth, Group
from ranking.stats.sentences import frontier_month_rounded, frontier_paragraph, frontier_summary

COLUMNS = (
    "month",
    "month_votes",
    "a_group",
    "a_country",
    "a_model",
    "a_name",
    "a_weights",
    "a_score",
    "a_ci_low",
    "a_ci_high",
    "b_group",
    "b_country",
    "b_model",
    "b_name",
    "b_weights",
    "b_score",
    "b_ci_low",
    "b_ci_high",
    "gap",
    "gap_ci_low",
    "gap_ci_high",
    "tied",
    "lag_months",
    "lag_censored",
    "lag_ci_low",
    "lag_ci_high",
    "lag_ci_high_censored",
    "leader",
    "a_provisional_model",
    "a_provisional_name",
    "a_provisional_score",
    "b_provisional_model",
    "b_provisional_name",
    "b_provisional_score",
    "a_unknown_weights",
    "b_unknown_weights",
    "scale",
    "shift",
    "link_models",
    "link_rms",
    "snapshot_id",
)
TEXT_COLUMNS = frozenset(
    {"month", "leader", "scale"}
    | {
        f"{side}_{what}"
        for side in "ab"
        for what in ("group", "country", "model", "name", "weights")
    }
    | {f"{side}_provisional_{what}" for side in "ab" for what in ("model", "name")}
)
FLAG_COLUMNS = frozenset({"tied", "lag_censored", "lag_ci_high_censored"})
COUNT_COLUMNS = frozenset(
    {"month_votes", "lag_months", "lag_ci_low", "lag_ci_high", "link_models", "snapshot_id"}
    | {"a_unknown_weights", "b_unknown_weights"}
)


@dataclass(frozen=True)
class MonthSource:
    """Where one month's figures come from: the snapshot, what fixed its level (``scale``),
    and, for linked month-end fits, the ``shift`` added to its scores with the link's quality
    (``link_models`` in common with the previous month, ``link_rms`` after linking)."""

    scale: str
    snapshot_id: int | None = None
    shift: float | None = None
    link_models: int | None = None
    link_rms: float | None = None


@dataclass(frozen=True)
class FrontierReport:
    """What the page, the API, the CSV and the command show.

    ``sources`` has one entry per month of ``frontier``. ``month_votes``: the counted votes
    cast in each month with any (empty when unknown, as for a published history); months of
    the span without a row are shown as gaps."""

    modality: str
    mode: str
    category: str
    language: str
    a: Group
    b: Group
    frontier: Frontier | None
    sources: list[MonthSource] = field(default_factory=list)
    display_names: dict[str, str] = field(default_factory=dict)
    month_votes: dict[str, int] = field(default_factory=dict)
    missing_months: list[str] = field(default_factory=list)
    hint: str = ""
    notes: list[str] = field(default_factory=list)
    rounding: str = "nearest"

    @property
    def summary(self) -> str:
        if self.frontier is None or not self.frontier.months:
            return ""
        return frontier_summary(
            self.frontier,
            names=sentence_names(self.a, self.b),
            display=self.display_names,
            rounding=self.rounding,
        )

    @property
    def paragraph(self) -> str:
        """The last month in one quotable paragraph (``frontier_paragraph``)."""
        if self.frontier is None or not self.frontier.months:
            return ""
        return frontier_paragraph(
            self.frontier,
            names=sentence_names(self.a, self.b),
            display=self.display_names,
            rounding=self.rounding,
        )

    @property
    def unknown_weights(self) -> dict[str, list[str]]:
        """Per side, the models a licence group left out in some month for their unknown
        openness (keys, sorted)."""
        months = self.frontier.months if self.frontier else ()
        return {
            side: sorted({key for row in months for key in getattr(row, f"{side}_unknown_weights")})
            for side in ("a", "b")
        }

    @property
    def a_label(self) -> str:
        return group_label(self.a)

    @property
    def b_label(self) -> str:
        return group_label(self.b)

    @property
    def empty_months(self) -> list[str]:
        """Months of the span without a counted vote: gaps, not steps of the lag."""
        if not self.month_votes or self.frontier is None:
            return []
        shown = {row.month for row in self.frontier.months}
        return [m for m in self._span() if m not in self.month_votes and m not in shown]

    def _span(self) -> list[str]:
        if self.frontier is None or not self.frontier.months:
            return []
        return month_range(self.frontier.months[0].month, self.frontier.months[-1].month)

    def rows(self) -> list[dict]:
        """One flat dict per month of the span with the ``COLUMNS`` keys, rounded for display;
        a month without a row (no counted votes, or no snapshot) has only its month, its
        votes and blanks."""
        if self.frontier is None:
            return []
        by_month = {
            row.month: (row, source)
            for row, source in zip(self.frontier.months, self.sources, strict=True)
        }
        rows = []
        for month in self._span():
            votes = self.month_votes.get(month, 0) if self.month_votes else None
            if month in by_month:
                rows.append(self._row(*by_month[month], votes=votes))
            else:
                rows.append(gap_row(month, a=self.a.code, b=self.b.code, votes=votes))
        return rows

    def _row(self, row: FrontierMonth, source: MonthSource, *, votes: int | None) -> dict:
        shown = frontier_month_rounded(row, self.rounding)
        names = self.display_names
        return {
            "month": row.month,
            "month_votes": votes,
            "a_group": self.a.code,
            "a_country": row.a_country,
            "a_model": row.a_model,
            "a_name": names.get(row.a_model, row.a_model) if row.a_model else None,
            "a_weights": row.a_weights,
            "a_score": shown["a_score"],
            "a_ci_low": shown["a_low"],
            "a_ci_high": shown["a_high"],
            "b_group": self.b.code,
            "b_country": row.b_country,
            "b_model": row.b_model,
            "b_name": names.get(row.b_model, row.b_model) if row.b_model else None,
            "b_weights": row.b_weights,
            "b_score": shown["b_score"],
            "b_ci_low": shown["b_low"],
            "b_ci_high": shown["b_high"],
            "gap": shown["gap"],
            "gap_ci_low": shown["gap_low"],
            "gap_ci_high": shown["gap_high"],
            "tied": row.tied,
            "lag_months": row.lag,
            "lag_censored": row.lag_censored,
            "lag_ci_low": row.lag_low,
            "lag_ci_high": row.lag_high,
            "lag_ci_high_censored": row.lag_high_censored,
            "leader": row.leader,
            "a_provisional_model": row.a_provisional,
            "a_provisional_name": names.get(row.a_provisional, row.a_provisional)
            if row.a_provisional
            else None,
            "a_provisional_score": shown["a_provisional_score"],
            "b_provisional_model": row.b_provisional,
            "b_provisional_name": names.get(row.b_provisional, row.b_provisional)
            if row.b_provisional
            else None,
            "b_provisional_score": shown["b_provisional_score"],
            "a_unknown_weights": len(row.a_unknown_weights),
            "b_unknown_weights": len(row.b_unknown_weights),
            "scale": source.scale,
            "shift": _one_decimal(source.shift),
            "link_models": source.link_models,
            "link_rms": _one_decimal(source.link_rms),
            "snapshot_id": source.snapshot_id,
        }


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def gap_row(month: str, *, a: str, b: str, votes: int | None) -> dict:
    """A month shown as a gap (``a``, ``b``: the group codes): no figures, no leader."""
    row: dict = dict.fromkeys(COLUMNS)
    row |= dict.fromkeys(FLAG_COLUMNS, False)
    return row | {
        "month": month,
        "month_votes": votes,
        "a_group": a,
        "b_group": b,
        "leader": "",
    }


def is_gap(row: dict) -> bool:
    """A row without figures (every shown month has a scale)."""
    return row["scale"] is None


def gap_reason(row: dict) -> str:
    if row["month_votes"] is None:
        return "not in the history"
    return "no month-end snapshot" if row["month_votes"] else "no counted votes"


def collapse_gaps(rows: list[dict]) -> list[dict]:
    """The rows for a table: a run of gap months with the same reason becomes one row whose
    ``month`` reads "2025-06 to 2026-10" and whose ``gap`` is the reason."""
    collapsed: list[dict] = []
    for row in rows:
        if not is_gap(row):
            collapsed.append(row)
            continue
        reason = gap_reason(row)
        previous = collapsed[-1] if collapsed else None
        if previous and previous.get("gap_reason") == reason:
            previous["month"] = f"{previous['first_month']} to {row['month']}"
            continue
        collapsed.append(row | {"gap_reason": reason, "first_month": row["month"]})
    return collapsed


def frontier_json(report: FrontierReport) -> dict:
    """The API's and the command's JSON body."""
    return {
        "modality": report.modality,
        "mode": report.mode,
        "category": report.category,
        "language": report.language,
        "a": report.a.code,
        "b": report.b.code,
        "a_label": report.a_label,
        "b_label": report.b_label,
        "level": report.frontier.level if report.frontier else 0.95,
        "min_votes": report.frontier.min_votes if report.frontier else None,
        "rounding": report.rounding,
        "summary": report.summary,
        "paragraph": report.paragraph,
        "unknown_weights": report.unknown_weights,
        "missing_months": report.missing_months,
        "empty_months": report.empty_months,
        "hint": report.hint,
        "notes": report.notes,
        "rows": report.rows(),
    }
