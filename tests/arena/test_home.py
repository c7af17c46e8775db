from __future__ import annotations

import pytest
from django.urls import reverse

from arena.site_data import demo_data_present
from tests.factories import OutputFactory, VoteFactory

pytestmark = pytest.mark.django_db


def test_the_landing_page_counts_models_prompts_and_votes_per_modality(client):
    first = OutputFactory()
    OutputFactory(prompt=first.prompt)
    OutputFactory(identity_leak=True, identity_leak_reason="says 'I am Claude'")
    VoteFactory(count=3)
    VoteFactory(source="demo")
    VoteFactory(excluded=True, exclusion_reason="too_fast")
    response = client.get(reverse("arena:home"))
    assert response.status_code == 200
    text = response.content.decode()
    row = text[
        text.index('<th scope="row"><a href="/arena/text/">Text</a></th>') : text.index(
            '<th scope="row"><a href="/arena/image/">Image</a></th>'
        )
    ]
    cells = [cell.split("</td>")[0] for cell in row.split("<td>")[1:]]
    # two servable outputs from two models on one prompt; the leaking output is not counted
    assert cells[:3] == ["2", "1", "2"]
    assert cells[3].startswith("4 ") and "1 demo" in cells[3]


def test_the_landing_page_runs_a_constant_number_of_queries(client, django_assert_num_queries):
    for _ in range(5):
        OutputFactory()
        VoteFactory()
    demo_data_present()  # the banner's flag is cached: a minute's first request looks it up
    with django_assert_num_queries(2):
        client.get(reverse("arena:home"))
