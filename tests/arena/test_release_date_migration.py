"""The migration that gives release dates a source: dates stored before it were set by hand."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support import migrate_to, migrate_to_latest

BEFORE = [("arena", "0003_imports")]
AFTER = [("arena", "0004_release_date_sources")]


@pytest.mark.django_db(transaction=True)
def test_a_stored_release_date_becomes_a_manual_date_to_the_day():
    apps = migrate_to(BEFORE)
    lab = apps.get_model("arena", "Lab").objects.create(name="Lab A", country="US")
    models = apps.get_model("arena", "AIModel").objects
    models.create(key="dated", display_name="Dated", lab=lab, release_date=date(2024, 1, 9))
    models.create(key="undated", display_name="Undated", lab=lab)
    try:
        migrated = migrate_to(AFTER).get_model("arena", "AIModel").objects
        rows = migrated.values_list("key", "release_date_source", "release_date_precision")
        assert sorted(rows) == [("dated", "manual", "day"), ("undated", "", "")]
    finally:
        migrate_to_latest()
