"""Build Arena's default model catalogue from the public metadata in ``../shared/data``.

    python scripts/build_catalogue.py [--data DIR] [--out arena/data/catalogue.csv]

Output columns (the format ``import_models`` reads): key, display_name, organisation,
country (ISO 3166-1 alpha-2, blank for multinational organisations), release_date,
licence, open_weights, modalities.

``release_date`` is the date written in the model key when it has one in full
(``claude-3-opus-20240229``, ``gpt-4.1-2025-04-14``), else the date the model was first
listed on the public Chatbot Arena leaderboard (an upper bound on the release date; the
published tables start on 2024-01-09, so older models carry that date).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from datetime import date
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
CLOSED_LICENCES = {"proprietary", "propretary", "-", ""}
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
FULL_DATE = re.compile(r"(20\d\d)-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")


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


def release_date(key: str, first_listed: str) -> str:
    listed = date.fromisoformat(first_listed)
    match = FULL_DATE.search(key)
    if match:
        try:
            in_key = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            in_key = None
        if in_key and in_key <= listed:
            return in_key.isoformat()
    return listed.isoformat()


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
            rows.append(
                {
                    "key": model["key"],
                    "display_name": model["model"],
                    # Epoch's name merges spellings ("DeepSeek AI", "Aliaba") into one lab.
                    "organisation": org["epoch_organization"] or org["arena_organization"],
                    "country": country_code(org["country"], org["bloc"]),
                    "release_date": release_date(model["key"], model["first_listed"]),
                    "licence": "" if licence == "-" else licence,
                    "open_weights": "false" if licence.lower() in CLOSED_LICENCES else "true",
                    "modalities": "image" if model["key"].startswith(IMAGE_GENERATORS) else "text",
                }
            )
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
    print(f"wrote {len(rows)} models to {args.out}")


if __name__ == "__main__":
    main()
