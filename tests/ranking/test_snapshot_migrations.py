"""Migrations that fill new snapshot fields from what older snapshots recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support import migrate_to, migrate_to_latest

BEFORE = [("ranking", "0001_snapshots")]
AFTER = [("ranking", "0002_snapshot_anchored")]


@pytest.mark.django_db(transaction=True)
def test_old_snapshots_record_whether_their_anchor_was_applied():
    apps = migrate_to(BEFORE)
    snapshots = apps.get_model("ranking", "RatingSnapshot")
    anchor = {"anchor": {"model": "mixtral", "score": 1114.0}}

    def make(key: str, params: dict, warnings: list[str], n_models: int = 4) -> None:
        snapshots.objects.create(
            key=key,
            modality="text",
            cutoff=datetime(2024, 6, 1, tzinfo=UTC),
            max_vote_id=1,
            params=params,
            seed=0,
            n_models=n_models,
            code_version="ranking.stats/1.0",
            warnings=warnings,
        )

    make("applied", anchor, ["models never defeated (score held finite by the prior): [2]"])
    make("missing", anchor, ["anchor mixtral has no votes here: mean score set to 1000"])
    make("unanchored", {"anchor": None}, [])
    make("empty", anchor, ["fewer than two models have votes: nothing to rate"], n_models=0)
    try:
        apps = migrate_to(AFTER)
        migrated = apps.get_model("ranking", "RatingSnapshot").objects
        assert dict(migrated.values_list("key", "anchored")) == {
            "applied": True,
            "missing": False,
            "unanchored": False,
            "empty": False,
        }
    finally:
        migrate_to_latest()
