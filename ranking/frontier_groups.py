"""The frontier's sides as people write them: one parser of group specs (page, API, CSV,
figures and the command all use it), the named comparisons, and how groups are named.

A spec is a country (``US``), a set of countries (``US,GB``), a licence class worldwide
(``open``, ``proprietary``) or countries and a class (``CN:open``, ``US,GB:proprietary``);
case and spaces do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

from arena.countries import COUNTRIES, country_name
from pairwise.openness import LICENCE_CLASSES
from ranking.stats.frontier import Group
from ranking.stats.sentences import group_best, group_title

SPEC_HELP = (
    "a country (US), countries (US,GB), a licence class (open or proprietary) or both (CN:open)"
)
#: How a sentence names a country when "the" or a short form reads better than its name.
SENTENCE_NAMES = {"US": "the US", "GB": "the UK", "AE": "the UAE", "NL": "the Netherlands"}


class GroupError(ValueError):
    """A group spec that cannot be read; the message says what is wrong in one line, and
    ``side`` (``"a"``, ``"b"`` or empty) which side of a pair it is about."""

    def __init__(self, message: str, *, side: str = "") -> None:
        super().__init__(message)
        self.side = side


def parse_group(spec: str) -> Group:
    """The group a spec names, or :class:`GroupError` saying what is wrong with it."""
    text = spec.strip()
    if not text:
        raise GroupError(f"empty: write {SPEC_HELP}")
    if text.count(":") > 1:
        raise GroupError(f"{spec!r} has more than one ':'; write {SPEC_HELP}")
    countries_part, _, weights_part = text.rpartition(":") if ":" in text else (text, "", "")
    if ":" not in text and countries_part.strip().lower() in LICENCE_CLASSES:
        countries_part, weights_part = "", countries_part
    weights = weights_part.strip().lower() or None
    if ":" in text and weights is None:
        raise GroupError(f"{spec!r} ends in ':'; after it write open or proprietary")
    if weights is not None and weights not in LICENCE_CLASSES:
        raise GroupError(
            f"{weights_part.strip()!r} is not a licence class: use open or proprietary"
        )
    countries = _countries(countries_part, spec, required=":" in text)
    return Group(countries=countries, weights=weights)


def _countries(text: str, spec: str, *, required: bool) -> tuple[str, ...]:
    if not text.strip():
        if required:
            raise GroupError(f"{spec!r} has no country before ':'; write e.g. CN:open, or open")
        return ()
    codes = [code.strip().upper() for code in text.split(",")]
    for code in codes:
        if code not in COUNTRIES:
            shown = code or "(blank)"
            raise GroupError(f"{shown!r} is not an ISO 3166-1 alpha-2 country code")
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise GroupError(f"{', '.join(repeated)} is listed twice in {spec!r}")
    return tuple(codes)


def parse_pair(a: str, b: str) -> tuple[Group, Group]:
    """Both sides, refusing two specs of the same models (``US,GB`` and ``gb, us``).

    Raises :class:`GroupError` with ``side`` set to ``"a"`` or ``"b"``."""
    groups = []
    for side, spec in (("a", a), ("b", b)):
        try:
            groups.append(parse_group(spec))
        except GroupError as error:
            raise GroupError(str(error), side=side) from None
    check_different(groups[0], groups[1])
    return groups[0], groups[1]


def check_different(a: Group, b: Group) -> None:
    """:class:`GroupError` (side ``b``) when the two groups hold the same models."""
    if a.same_models(b):
        message = f"{b.code} is the same models as {a.code}: compare two different groups"
        raise GroupError(message, side="b")


@dataclass(frozen=True)
class Comparison:
    """A named pair of groups: ``a`` leads by convention, ``b`` is measured against it."""

    slug: str
    title: str
    a: str
    b: str


#: The comparisons the reports ask about, in plain words; the first is the default.
COMPARISONS = (
    Comparison("us-china", "US vs China, every model", "US", "CN"),
    Comparison("open-us-china", "Best open-weights model: US vs China", "US:open", "CN:open"),
    Comparison(
        "china-open-us-proprietary",
        "China's best open model vs the US's best proprietary one",
        "US:proprietary",
        "CN:open",
    ),
    Comparison("open-proprietary", "Open weights vs proprietary, worldwide", "proprietary", "open"),
    Comparison(
        "proprietary-us-china",
        "Best proprietary model: US vs China",
        "US:proprietary",
        "CN:proprietary",
    ),
)
COMPARISON_BY_SLUG = {comparison.slug: comparison for comparison in COMPARISONS}


def comparison_of(a: Group, b: Group) -> Comparison | None:
    """The named comparison of these two groups, if they are one."""
    for comparison in COMPARISONS:
        named = parse_pair(comparison.a, comparison.b)
        if named[0].same_models(a) and named[1].same_models(b):
            return comparison
    return None


def sentence_names(*groups: Group) -> dict[str, str]:
    """How a sentence names each country of the groups: "the US", "China"."""
    codes = {code for group in groups for code in group.countries}
    return {code: SENTENCE_NAMES.get(code, country_name(code) or code) for code in codes}


def group_label(group: Group) -> str:
    """A group as a heading, legend or column names it: "United States", "China, open
    weights", "Open weights", "United States and United Kingdom"."""
    names = {code: country_name(code) or code for code in group.countries}
    return group_title(group, names)


def group_best_phrase(group: Group) -> str:
    """The group's best model as a sentence names it: "the US's best", "the best
    open-weights model"."""
    return group_best(group, sentence_names(group))
