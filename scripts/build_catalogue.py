"""Build Arena's default model catalogue from the public metadata in ``../shared/data``.

    python scripts/build_catalogue.py [--data DIR] [--out arena/data/catalogue.csv]

Output columns (the format ``import_models`` reads): key, display_name, organisation,
country (ISO 3166-1 alpha-2, blank for multinational organisations), release_date,
release_date_source, release_date_precision, first_listed, licence, modalities. No
open_weights column: the import derives openness from the licence string
(``pairwise.openness.weights_of_licence``), so a blank ("-") licence stays unknown.

The shared metadata (``lmsys_models.csv``) give each model the day it was first listed on
the public Chatbot Arena leaderboard (the published tables start on 2024-01-09, so every
older model carries that day) and a knowledge cutoff; they have no release dates. Epoch AI's
publication dates are not among the shared data (only its organisations table is), so no
date has the source ``publication``. The release date is, in this order:

1. ``key``: a date written in the model's key or display name. A full date
   (``claude-3-opus-20240229``, ``Gemini App (2024-01-24)``) to the day; a month and day
   (``gpt-4-0314``, ``gemini-2.5-pro-exp-03-25``) to the day, in the latest year that is not
   more than ``LISTING_SLACK`` after the first listing; a year and month (Mistral's
   ``mistral-large-2402``, ``command-r-08-2024``, ``step-2-16k-exp-202412``,
   ``june-2024``) to the month.
2. ``manual``: ``MANUAL_RELEASES`` below, to the month, each with the announcement it comes
   from: the models of 2023 that the first listing clamps to 2024-01-09, DALL·E 3 (listed
   with the image arena in 2025) and keys whose digits mean something else.
3. ``first_listed``: the first-listed day, an upper bound on the release.

Every key or manual date must fall between the knowledge cutoff's month (a lower bound) and
the first listing (an upper bound, with ``LISTING_SLACK`` for a table dated a few days before
the model's own name): the build stops on any that does not.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arena.countries import COUNTRIES  # noqa: E402

COUNTRY_ALIASES = {
    "United States of America": "US",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "Korea (Republic of)": "KR",
}
NAME_TO_CODE = {name: code for code, name in COUNTRIES.items()} | COUNTRY_ALIASES
# Text-to-image models listed beside the chat models; vision-language models answer in text.
IMAGE_GENERATORS = (
    "dall-e",
    "flux-",
    "ideogram",
    "imagen-",
    "photon",
    "recraft",
    "stable-diffusion",
)
# A dated name can be a few days younger than the leaderboard table that first listed it.
LISTING_SLACK = timedelta(days=31)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

FULL_DATE = re.compile(r"(?<!\d)(20\d\d)-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")
YEAR_MONTH = re.compile(r"(?<![\d.])(20\d\d)(0[1-9]|1[0-2])(?![\d.])")  # 202412
MONTH_YEAR = re.compile(r"(?<![\d.])(0[1-9]|1[0-2])-(20\d\d)(?![\d.])")  # 08-2024
NAMED_MONTH_YEAR = re.compile(r"(?<![a-z])(" + "|".join(MONTHS) + r")[a-z]*[-_ ](20\d\d)(?!\d)")
MONTH_DAY = re.compile(r"(?<![\d.])(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?![\d.])")  # 0314
SHORT_YEAR_MONTH = re.compile(r"(?<![\d.])(2[3-9])(0[1-9]|1[0-2])(?![\d.])")  # 2402

# Release months from the makers' announcements, for models whose key and name carry no
# date (or a misleading one). Month precision: the announcement's day is in the comment.
MANUAL_RELEASES: dict[str, tuple[str, str]] = {
    "alpaca-13b": ("2023-03", "Stanford CRFM, Alpaca, 2023-03-13"),
    "chatglm-6b": ("2023-03", "THUDM, ChatGLM-6B release, 2023-03-14"),
    "chatglm2-6b": ("2023-06", "THUDM, ChatGLM2-6B release, 2023-06-25"),
    "chatglm3-6b": ("2023-10", "THUDM, ChatGLM3-6B release, 2023-10-27"),
    "claude-1": ("2023-03", "Anthropic, Introducing Claude, 2023-03-14"),
    "claude-instant-1": ("2023-03", "Anthropic, Introducing Claude (and Instant), 2023-03-14"),
    "claude-2.0": ("2023-07", "Anthropic, Claude 2, 2023-07-11"),
    "claude-2.1": ("2023-11", "Anthropic, Introducing Claude 2.1, 2023-11-21"),
    "codellama-34b-instruct": ("2023-08", "Meta, Introducing Code Llama, 2023-08-24"),
    "dall-e-3": ("2023-10", "OpenAI, DALL·E 3 in ChatGPT Plus and Enterprise, October 2023"),
    "deepseek-llm-67b-chat": ("2023-11", "DeepSeek LLM 67B release, 2023-11-29"),
    "dolly-v2-12b": ("2023-04", "Databricks, Dolly 2.0, 2023-04-12"),
    "falcon-180b-chat": ("2023-09", "TII, Falcon 180B, 2023-09-06"),
    "falcon-40b-instruct": ("2023-05", "TII, Falcon 40B, 2023-05-25"),
    "gemini-pro": ("2023-12", "Google, Introducing Gemini, 2023-12-06"),
    "gemini-pro-dev-api": ("2023-12", "Google, Gemini Pro in the Gemini API, 2023-12-13"),
    "guanaco-33b": ("2023-05", "Dettmers et al., QLoRA (Guanaco), 2023-05-23"),
    "guanaco-65b": ("2023-05", "Dettmers et al., QLoRA (Guanaco), 2023-05-23"),
    "koala-13b": ("2023-04", "Berkeley AI Research, Koala, 2023-04-03"),
    "llama-13b": ("2023-02", "Meta, Introducing LLaMA, 2023-02-24"),
    "llama-2-13b-chat": ("2023-07", "Meta, Llama 2, 2023-07-18"),
    "llama-2-70b-chat": ("2023-07", "Meta, Llama 2, 2023-07-18"),
    "llama-2-7b-chat": ("2023-07", "Meta, Llama 2, 2023-07-18"),
    "mistral-7b-instruct": ("2023-09", "Mistral AI, Mistral 7B, 2023-09-27"),
    "mistral-medium": ("2023-12", "Mistral AI, La plateforme, 2023-12-11"),
    "mixtral-8x7b-instruct-v0.1": ("2023-12", "Mistral AI, Mixtral of experts, 2023-12-11"),
    "mpt-30b-chat": ("2023-06", "MosaicML, MPT-30B, 2023-06-22"),
    "mpt-30b-instruct": ("2023-06", "MosaicML, MPT-30B, 2023-06-22"),
    "mpt-7b-chat": ("2023-05", "MosaicML, MPT-7B, 2023-05-05"),
    "oasst-pythia-12b": ("2023-04", "LAION, OpenAssistant release, 2023-04-15"),
    # AI2 names OLMo 2 checkpoints by month and year: 0325 is March 2025, not 25 March.
    "olmo-2-0325-32b-instruct": ("2025-03", "Ai2, OLMo 2 32B, 2025-03-13"),
    "palm-2": ("2023-05", "Google I/O, PaLM 2, 2023-05-10"),
    "pplx-70b-online": ("2023-11", "Perplexity, pplx-online LLMs, 2023-11-29"),
    "pplx-7b-online": ("2023-11", "Perplexity, pplx-online LLMs, 2023-11-29"),
    "qwen-14b-chat": ("2023-09", "Alibaba, Qwen-14B release, 2023-09-25"),
    "solar-10.7b-instruct-v1.0": ("2023-12", "Upstage, SOLAR 10.7B, 2023-12-13"),
    "stablelm-tuned-alpha-7b": ("2023-04", "Stability AI, StableLM alpha, 2023-04-19"),
    "starling-lm-7b-alpha": ("2023-11", "Berkeley, Starling-7B, 2023-11-27"),
    "stripedhyena-nous-7b": ("2023-12", "Together AI, StripedHyena-7B, 2023-12-08"),
    "tulu-2-dpo-70b": ("2023-11", "Ai2, Tulu 2 (Ivison et al.), 2023-11-17"),
    "wizardlm-13b": ("2023-07", "WizardLM-13B-V1.2 release, 2023-07-25"),
    "wizardlm-70b": ("2023-08", "WizardLM-70B-V1.0 release, 2023-08-09"),
    "yi-34b-chat": ("2023-11", "01.AI, Yi-34B-Chat release, 2023-11-23"),
    "zephyr-7b-alpha": ("2023-10", "Hugging Face H4, Zephyr-7B-alpha, 2023-10-11"),
    "zephyr-7b-beta": ("2023-10", "Hugging Face H4, Zephyr-7B-beta, 2023-10-26"),
}


@dataclass(frozen=True)
class Release:
    """A release date with its source and precision (day, or month: then the 1st)."""

    date: date
    source: str
    precision: str


def country_code(countries: str, bloc: str) -> str:
    """One ISO code, or blank when the organisation is multinational with no single home
    consistent with its bloc (the bloc, US / CN / other, is the curated judgement)."""
    codes = [
        NAME_TO_CODE[name.strip()]
        for name in countries.split(",")
        if name.strip() and name.strip() != "Multinational"
    ]
    if bloc in {"US", "CN"}:
        return bloc if bloc in codes else (codes[0] if len(codes) == 1 else "")
    codes = [code for code in codes if code not in {"US", "CN"}]
    return codes[0] if len(codes) == 1 else ""


def _valid(year: int, month: int, day: int = 1) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _in_name(text: str, latest: date) -> Release | None:
    """The date written in a key or display name, if any, that is not after ``latest``."""
    text = text.lower()
    for pattern, precision in ((FULL_DATE, "day"), (YEAR_MONTH, "month")):
        for found in pattern.finditer(text):
            day = int(found[3]) if precision == "day" else 1
            when = _valid(int(found[1]), int(found[2]), day)
            if when and when <= latest:
                return Release(when, "key", precision)
    for found in MONTH_YEAR.finditer(text):
        when = _valid(int(found[2]), int(found[1]))
        if when and when <= latest:
            return Release(when, "key", "month")
    for found in NAMED_MONTH_YEAR.finditer(text):
        when = _valid(int(found[2]), MONTHS.index(found[1]) + 1)
        if when and when <= latest:
            return Release(when, "key", "month")
    return _month_day(text, latest) or _short_year_month(text, latest)


def _month_day(text: str, latest: date) -> Release | None:
    """``0314``, ``03-25``: month and day, in the latest year that is not after ``latest``."""
    for found in MONTH_DAY.finditer(text):
        for year in range(latest.year, latest.year - 3, -1):
            when = _valid(year, int(found[1]), int(found[2]))
            if when and when <= latest:
                return Release(when, "key", "day")
    return None


def _short_year_month(text: str, latest: date) -> Release | None:
    """``2402``: Mistral's year and month (read only when it is no month and day)."""
    for found in SHORT_YEAR_MONTH.finditer(text):
        when = _valid(2000 + int(found[1]), int(found[2]))
        if when and when <= latest:
            return Release(when, "key", "month")
    return None


def _cutoff(knowledge_cutoff: str) -> date | None:
    """The knowledge cutoff's month (``2023/4``), a lower bound on the release."""
    found = re.fullmatch(r"(20\d\d)/(\d{1,2})", knowledge_cutoff.strip())
    return _valid(int(found[1]), int(found[2])) if found else None


def release(model: dict[str, str]) -> Release:
    """The best release date the metadata support (see the module's docstring)."""
    listed = date.fromisoformat(model["first_listed"])
    latest = listed + LISTING_SLACK
    if model["key"] in MANUAL_RELEASES:
        month = MANUAL_RELEASES[model["key"]][0]
        found = Release(date.fromisoformat(f"{month}-01"), "manual", "month")
    else:
        found = _in_name(model["key"], latest) or _in_name(model["model"], latest)
    if found is None:
        return Release(listed, "first_listed", "day")
    lower = _cutoff(model["knowledge_cutoff"])
    if (lower and found.date < lower) or found.date > latest:
        raise SystemExit(
            f"{model['key']}: release {found.date} ({found.source}) is not between its "
            f"knowledge cutoff {model['knowledge_cutoff']} and its first listing {listed}"
        )
    return found


def build(data: Path) -> list[dict[str, str]]:
    with open(data / "arena_org_country_map.csv", newline="") as handle:
        orgs = {row["arena_organization"]: row for row in csv.DictReader(handle)}
    rows = []
    with open(data / "lmsys_models.csv", newline="") as handle:
        for model in csv.DictReader(handle):
            org = orgs.get(model["organization"])
            if org is None:
                raise SystemExit(f"organisation {model['organization']!r} has no country row")
            licence = model["license"].strip()
            released = release(model)
            rows.append(
                {
                    "key": model["key"],
                    "display_name": model["model"],
                    # Epoch's name merges spellings ("DeepSeek AI", "Aliaba") into one lab.
                    "organisation": org["epoch_organization"] or org["arena_organization"],
                    "country": country_code(org["country"], org["bloc"]),
                    "release_date": released.date.isoformat(),
                    "release_date_source": released.source,
                    "release_date_precision": released.precision,
                    "first_listed": model["first_listed"],
                    "licence": "" if licence == "-" else licence,
                    "modalities": "image" if model["key"].startswith(IMAGE_GENERATORS) else "text",
                }
            )
    unknown = sorted(set(MANUAL_RELEASES) - {row["key"] for row in rows})
    if unknown:
        raise SystemExit(f"MANUAL_RELEASES names models not in the metadata: {unknown}")
    return sorted(rows, key=lambda row: row["key"].lower())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/model_metadata")
    parser.add_argument("--out", type=Path, default=ROOT / "arena/data/catalogue.csv")
    args = parser.parse_args()
    rows = build(args.data)
    with open(args.out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    sources = {}
    for row in rows:
        sources[row["release_date_source"]] = sources.get(row["release_date_source"], 0) + 1
    print(f"wrote {len(rows)} models to {args.out}; release dates by source: {sources}")


if __name__ == "__main__":
    main()
