"""Style-controlled boards end to end: votes on served battles whose outputs carry style
features, a planted preference for longer answers, the scheduled refresh, the command, the
page and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.management import call_command

from arena.models import Battle, Output, Vote
from arena.style import style_features
from ranking.models import RatingSnapshot
from ranking.scheduling import snapshot_refresh_due
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from tests.factories import AIModelFactory, LabFactory, PromptFactory, PromptSetFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 6, 1, tzinfo=UTC)
STRENGTH = {"alpha": 1150.0, "beta": 1050.0, "gamma": 950.0, "delta": 850.0}
# How often each model writes the long answer: the weaker, the wordier.
WORDY = {"alpha": 0.1, "beta": 0.3, "gamma": 0.5, "delta": 0.9}
SHORT = "A short answer."
LONG = "## A long answer\n\n" + "\n".join(
    f"- point {i} with **detail** and more words" for i in range(30)
)


@pytest.fixture
def styled_votes(db):
    """4,000 votes on served battles, where voters prefer the longer answer (1.5 log-odds per
    unit of normalised length difference) whatever the models' strengths; plus 50 imported
    votes without a battle."""
    rng = np.random.default_rng(7)
    lab = LabFactory(name="Lab", country="US")
    models = {key: AIModelFactory(key=key, lab=lab) for key in STRENGTH}
    prompts = [PromptFactory(prompt_set=PromptSetFactory()) for _ in range(2)]
    outputs = {}
    for prompt in prompts:
        for key, model in models.items():
            for length, text in (("short", SHORT), ("long", LONG)):
                outputs[prompt.pk, key, length] = Output(
                    prompt=prompt,
                    model=model,
                    modality="text",
                    text=f"{text} ({key})",
                    checksum=f"{prompt.pk}-{key}-{length}",
                    style=style_features(text),
                )
    # One output per (prompt, model) is allowed: the long ones answer the second prompt.
    chosen = {
        (p, key, length): output
        for (p, key, length), output in outputs.items()
        if (length == "long") == (p == prompts[1].pk)
    }
    Output.objects.bulk_create(chosen.values())
    keys = list(STRENGTH)
    battles, votes = [], []
    served = datetime(2024, 3, 1, tzinfo=UTC)
    for n in range(4000):
        a, b = rng.choice(4, size=2, replace=False)
        ka, kb = keys[a], keys[b]
        long_a, long_b = rng.random() < WORDY[ka], rng.random() < WORDY[kb]
        prompt_a = prompts[1] if long_a else prompts[0]
        prompt_b = prompts[1] if long_b else prompts[0]
        output_a = chosen[prompt_a.pk, ka, "long" if long_a else "short"]
        output_b = chosen[prompt_b.pk, kb, "long" if long_b else "short"]
        tokens_a, tokens_b = output_a.style["tokens"], output_b.style["tokens"]
        difference = (tokens_a - tokens_b) / (tokens_a + tokens_b)
        logit = (STRENGTH[ka] - STRENGTH[kb]) * np.log(10) / 400 + 1.5 * difference
        battle = Battle(
            session_key=f"s{n}",
            modality="text",
            prompt=prompt_a,
            output_a=output_a,
            output_b=output_b,
            model_a=models[ka],
            model_b=models[kb],
            served_at=served,
            expires_at=served + timedelta(minutes=30),
            state="voted",
        )
        battles.append(battle)
        outcome = "a" if rng.random() < 1 / (1 + np.exp(-logit)) else "b"
        votes.append((battle, outcome))
    Battle.objects.bulk_create(battles)
    Vote.objects.bulk_create(
        [
            Vote(
                battle=battle,
                source="arena",
                outcome=outcome,
                modality="text",
                model_a=battle.model_a,
                model_b=battle.model_b,
                created_at=served,
            )
            for battle, outcome in votes
        ]
        + [
            Vote(
                source="import",
                outcome="a",
                modality="text",
                model_a=models["alpha"],
                model_b=models["beta"],
                created_at=served,
            )
            for _ in range(50)
        ]
    )
    return models


def compute(**spec: object) -> RatingSnapshot:
    snapshot, needed = snapshot_request(
        spec=SnapshotSpec(**({"modality": "text", "rounds": 200, "cutoff": NOW} | spec))
    )
    assert needed
    return snapshot_compute(snapshot_id=snapshot.pk)


def scores(snapshot: RatingSnapshot) -> dict[str, float]:
    return {row.model.key: row.score for row in snapshot.ratings.select_related("model")}


def test_style_control_removes_a_planted_length_preference_end_to_end(styled_votes):
    plain = compute()
    controlled = compute(style_control=True)
    assert plain.key != controlled.key and controlled.style_control
    assert controlled.votes_without_style == 50 and controlled.n_votes == 4000
    assert plain.n_votes == 4050
    truth = np.array(list(STRENGTH.values()))
    truth += 1000.0 - truth.mean()
    controlled_error = np.array([scores(controlled)[key] for key in STRENGTH]) - truth
    plain_error = np.array([scores(plain)[key] for key in STRENGTH]) - truth
    # The wordy, weakest model is overrated without control, not with it.
    assert plain_error[3] > 40 and plain_error[0] < -40
    assert np.max(np.abs(controlled_error)) < 35
    # Here length and Markdown go together (the long answer has the headers, list and bold),
    # so the preference is shared among the features; their sum is what a long answer gains
    # over a short one: 1.5 times the normalised length difference.
    long, short = style_features(LONG)["tokens"], style_features(SHORT)["tokens"]
    gain = 1.5 * (long - short) / (long + short)
    assert set(controlled.style_coef) == {"tokens", "headers", "list_items", "bold"}
    assert sum(controlled.style_coef.values()) == pytest.approx(gain, abs=0.3)
    assert any("50 counted votes left out" in warning for warning in controlled.warnings)


def test_the_refresh_makes_a_style_controlled_board_beside_the_plain_one(
    styled_votes, settings, django_capture_on_commit_callbacks
):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    settings.RANKING_MIN_SCOPE_VOTES = 10**6
    with django_capture_on_commit_callbacks(execute=True):
        made = snapshot_refresh_due(now=NOW)
    assert sorted(s.style_control for s in made) == [False, True]
    assert all(s.status == "done" for s in RatingSnapshot.objects.all())
    settings.RANKING_STYLE_CONTROL = False
    with django_capture_on_commit_callbacks(execute=True):
        assert [s.style_control for s in snapshot_refresh_due(now=NOW)] == [False]


def test_style_control_is_refused_where_outputs_are_not_texts():
    with pytest.raises(ValueError, match="style control needs text outputs"):
        SnapshotSpec(modality="image", style_control=True)


def test_the_api_serves_the_style_controlled_board_with_its_coefficients(client, styled_votes):
    plain = compute()
    controlled = compute(style_control=True)
    body = client.get("/api/v1/leaderboards/text/", {"style": "control"}).json()
    assert body["id"] == controlled.pk and body["style_control"] is True
    assert body["style_coef"]["tokens"] > 0 and body["votes_without_style"] == 50
    assert client.get("/api/v1/leaderboards/text/").json()["id"] == plain.pk
    assert client.get("/api/v1/leaderboards/text/", {"style": "loud"}).status_code == 400
    assert client.get("/api/v1/leaderboards/image/", {"style": "control"}).status_code == 404


def test_the_page_toggles_to_the_style_controlled_board(client, styled_votes):
    compute()
    controlled = compute(style_control=True)
    plain_html = client.get("/leaderboard/text/").content.decode()
    assert "Style coefficients" not in plain_html and 'name="style"' in plain_html
    html = client.get("/leaderboard/text/?style=control").content.decode()
    assert f"Snapshot {controlled.pk} " in html and "Style coefficients" in html
    assert "Length (tokens)" in html and "50 votes without served outputs left out" in html
    assert 'value="control" selected' in html


def test_fit_ratings_makes_a_style_controlled_board_and_prints_the_coefficients(
    styled_votes, capsys
):
    call_command("fit_ratings", "--modality", "text", "--rounds", "100", "--style-control")
    out = capsys.readouterr().out
    assert "style control" in out.splitlines()[0]
    assert "style coefficient tokens: +" in out
    assert RatingSnapshot.objects.get().style_control
