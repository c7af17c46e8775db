from __future__ import annotations

import pytest
from django.urls import reverse

from arena.models import Vote
from tests.factories import AIModelFactory, BattleFactory, OutputFactory, VoteFactory

pytestmark = pytest.mark.django_db

PAGES = ["lab", "aimodel", "promptset", "prompt", "output", "battle", "vote", "workerheartbeat"]


@pytest.mark.parametrize("name", PAGES)
def test_every_arena_admin_list_opens(admin_client_carol, name):
    OutputFactory()
    BattleFactory()
    VoteFactory()
    response = admin_client_carol.get(reverse(f"admin:arena_{name}_changelist"))
    assert response.status_code == 200


def test_snapshots_are_read_only_in_the_admin(admin_client_carol):
    assert (
        admin_client_carol.get(reverse("admin:ranking_ratingsnapshot_changelist")).status_code
        == 200
    )
    assert admin_client_carol.get(reverse("admin:ranking_ratingsnapshot_add")).status_code == 403


def test_votes_can_be_excluded_but_never_deleted_or_edited(admin_client_carol):
    vote = VoteFactory()
    response = admin_client_carol.post(
        reverse("admin:arena_vote_changelist"),
        {"action": "exclude_votes", "_selected_action": [vote.pk]},
    )
    assert response.status_code == 302
    vote.refresh_from_db()
    assert (vote.excluded, vote.exclusion_reason) == (True, "admin")
    assert (
        admin_client_carol.get(reverse("admin:arena_vote_delete", args=[vote.pk])).status_code
        == 403
    )
    assert Vote.objects.count() == 1


def test_the_admin_requires_staff(client, db):
    response = client.get(reverse("admin:arena_vote_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_admin_sets_a_models_openness_and_filters_by_it(admin_client_carol):
    model = AIModelFactory(licence="")
    assert model.weights == "unknown"
    page = admin_client_carol.get(reverse("admin:arena_aimodel_change", args=[model.pk]))
    assert b'<option value="proprietary">Proprietary</option>' in page.content
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name != "modalities"
    }
    data |= {"lab": model.lab_id, "weights": "proprietary", "modalities": "[]"}
    response = admin_client_carol.post(reverse("admin:arena_aimodel_change", args=[model.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    model.refresh_from_db()
    assert model.weights == "proprietary"
    listed = admin_client_carol.get(reverse("admin:arena_aimodel_changelist"), {"weights": "open"})
    assert listed.context["cl"].result_count == 0
