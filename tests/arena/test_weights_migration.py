"""The migration that makes openness three-valued: a stored False was also the default, so it
says nothing; the licence decides, and nothing becomes proprietary without saying so."""

from __future__ import annotations

import pytest

from tests.support import migrate_to, migrate_to_latest

BEFORE = [("arena", "0004_release_date_sources")]
AFTER = [("arena", "0005_model_weights")]


@pytest.mark.django_db(transaction=True)
def test_true_stays_open_and_false_follows_the_licence_or_becomes_unknown():
    apps = migrate_to(BEFORE)
    lab = apps.get_model("arena", "Lab").objects.create(name="Lab A", country="US")
    models = apps.get_model("arena", "AIModel").objects
    for key, licence, open_weights in [
        ("ticked", "Proprietary", True),  # said open on purpose: open
        ("closed", "Proprietary", False),
        ("typo", "Propretary", False),
        ("apache", "Apache 2.0", False),  # the default False, with an open licence: open
        ("handmade", "", False),  # the default False and no licence: unknown
        ("placeholder", "-", False),
    ]:
        models.create(
            key=key, display_name=key, lab=lab, licence=licence, open_weights=open_weights
        )
    try:
        migrated = migrate_to(AFTER).get_model("arena", "AIModel").objects
        assert dict(migrated.values_list("key", "weights")) == {
            "ticked": "open",
            "closed": "proprietary",
            "typo": "proprietary",
            "apache": "open",
            "handmade": "unknown",
            "placeholder": "unknown",
        }
        back = migrate_to(BEFORE).get_model("arena", "AIModel").objects
        assert sorted(back.filter(open_weights=True).values_list("key", flat=True)) == [
            "apache",
            "ticked",
        ]
    finally:
        migrate_to_latest()
