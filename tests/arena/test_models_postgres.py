"""The same integrity rules on PostgreSQL, where concurrent writers really race."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections

from arena.models import Lab, Vote
from tests.factories import BattleFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_simultaneous_votes_on_one_battle_leave_exactly_one():
    battle = BattleFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def cast(choice: str) -> None:
        try:
            barrier.wait(timeout=10)
            Vote.objects.create(
                battle_id=battle.pk,
                outcome=choice,
                modality="text",
                model_a_id=battle.model_a_id,
                model_b_id=battle.model_b_id,
            )
            outcomes.append("saved")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast, args=(choice,)) for choice in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert Vote.objects.filter(battle=battle).count() == 1


def test_the_country_check_is_enforced_by_postgresql():
    assert connection.vendor == "postgresql"
    with pytest.raises(IntegrityError, match="lab_country_is_iso_alpha2"):
        Lab.objects.create(name="Atlantis", country="QQ")
