"""The server-rendered arena pages, without JavaScript: forms, POST-redirect-GET."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from PIL import Image

from arena import views
from arena.models import AIModel, Battle, Lab, Vote
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_reading_time(settings):
    settings.ARENA_MIN_READ_SECONDS = 0


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def media_arena(db):
    """Image and video sets with outputs of two models (files named neutrally)."""
    labs = [
        factories.LabFactory(name="Pixel Lab", country="US"),
        factories.LabFactory(name="Frame Lab", country="CN"),
    ]
    models = [
        factories.AIModelFactory(
            key=f"painter-{n}", display_name=f"Painter {n}", lab=lab, modalities=["image", "video"]
        )
        for n, lab in enumerate(labs)
    ]

    def fake_video(colour: str) -> bytes:
        return colour.encode() * 16

    for modality, content, mime in (
        ("image", png, "image/png"),
        ("video", fake_video, "video/mp4"),
    ):
        prompt = factories.PromptFactory(
            prompt_set=factories.PromptSetFactory(modality=modality), text=f"A {modality}"
        )
        for n, (model, colour) in enumerate(zip(models, ["red", "blue"], strict=True)):
            data = content(colour)
            factories.OutputFactory(
                prompt=prompt,
                model=model,
                modality=modality,
                text="",
                checksum=hashlib.sha256(data).hexdigest(),
                media=SimpleUploadedFile(f"{n}{modality[0]}.bin", data),
                media_meta={"mime": mime, "width": 8, "height": 8},
            )
    return models


def identities() -> list[str]:
    names = [m.key for m in AIModel.objects.all()] + [m.display_name for m in AIModel.objects.all()]
    return names + [lab.name for lab in Lab.objects.all()]


def vote_through_the_form(client, modality: str, choice: str):
    page = client.get(f"/arena/{modality}/")
    assert page.status_code == 200
    html = page.content.decode()
    for secret in identities():
        assert secret not in html, f"{secret!r} leaks into the battle page"
    token = re.search(r'name="token" value="([^"]+)"', html)[1]
    response = client.post(f"/arena/{modality}/vote/", {"token": token, "choice": choice})
    return token, response


@pytest.mark.parametrize("modality", ["text", "image", "video"])
def test_a_voter_votes_without_javascript_and_sees_the_models_after(
    client, text_arena, media_arena, modality
):
    token, response = vote_through_the_form(client, modality, "tie")
    assert response.status_code == 302
    assert response["Location"] == f"/arena/{modality}/result/{token}/"
    result = client.get(response["Location"])
    battle = Battle.objects.get(token=token)
    html = result.content.decode()
    assert result.status_code == 200
    assert battle.model_a.display_name in html and battle.model_b.display_name in html
    assert "You voted: <strong>Tie</strong>" in html
    assert Vote.objects.get(battle=battle).outcome == "tie"


def test_the_battle_page_offers_four_labelled_choices_with_shortcuts(client, text_arena):
    html = client.get("/arena/text/").content.decode()
    for value, label in [
        ("a", "A is better"),
        ("b", "B is better"),
        ("tie", "Tie"),
        ("both_bad", "Both are bad"),
    ]:
        assert f'name="choice" value="{value}"' in html and label in html
    assert "<kbd>N</kbd>" in html and "csrfmiddlewaretoken" in html
    assert 'name="viewport"' in html


def test_the_page_shows_filters_and_keeps_them_for_the_next_battle(client, text_arena):
    page = client.get("/arena/text/?category=coding&language=fr")
    html = page.content.decode()
    assert '<option value="coding" selected>' in html and '<option value="fr" selected>' in html
    token = re.search(r'name="token" value="([^"]+)"', html)[1]
    assert Battle.objects.get(token=token).prompt.language == "fr"
    response = client.post(
        "/arena/text/vote/", {"token": token, "choice": "a", "category": "coding", "language": "fr"}
    )
    assert response["Location"].endswith("?category=coding&language=fr")
    result = client.get(response["Location"]).content.decode()
    assert 'href="/arena/text/?category=coding&amp;language=fr"' in result


def test_a_refused_form_vote_shows_the_reason_with_its_status(client, text_arena):
    token, first = vote_through_the_form(client, "text", "a")
    again = client.post("/arena/text/vote/", {"token": token, "choice": "b"})
    assert again.status_code == 409 and "a battle takes one vote" in again.content.decode()
    bad = client.post("/arena/text/vote/", {"token": token, "choice": "maybe"})
    assert bad.status_code == 400 and "is not a valid choice" in bad.content.decode()
    unknown = client.post("/arena/text/vote/", {"token": "nope", "choice": "a"})
    assert unknown.status_code == 404


def test_an_empty_arena_says_so(client, db):
    response = client.get("/arena/video/")
    assert response.status_code == 404
    assert "Nothing to serve for video" in response.content.decode()


def test_someone_elses_result_page_is_not_found(client, text_arena, django_user_model):
    from django.test import Client

    token, _ = vote_through_the_form(client, "text", "a")
    assert Client().get(f"/arena/text/result/{token}/").status_code == 404


def test_the_personal_board_appears_after_enough_votes(client, text_arena, settings):
    settings.ARENA_PERSONAL_BOARD_MIN_VOTES = 2
    vote_through_the_form(client, "text", "a")
    html = client.get("/arena/text/").content.decode()
    assert "After 2 votes you will see your own leaderboard" in html
    token, response = vote_through_the_form(client, "text", "b")  # also checks the blind page
    html = client.get(response["Location"]).content.decode()
    assert (
        "Your leaderboard" in html and "Votes counted: <strong data-votes-cast>2</strong>" in html
    )
    blind = client.get("/arena/text/").content.decode()
    assert "Your leaderboard" not in blind and "appears here after each vote" in blind


@pytest.mark.parametrize("modality", ["image", "video"])
def test_demo_media_battles_serve_opaque_urls_that_load(client, modality, settings):
    from django.core.management import call_command

    call_command("seed_demo", "--votes-per-month", "5")
    page = client.get(f"/arena/{modality}/")
    html = page.content.decode()
    assert page.status_code == 200
    for secret in identities():
        assert secret not in html, f"{secret!r} leaks into the {modality} battle page"
    urls = re.findall(r'src="(/media/[^"]+)"', html)
    assert len(urls) == 2
    for url in urls:
        assert re.fullmatch(r"/media/o/[0-9a-f]{64}\.(png|jpg|webp|gif|mp4|webm)", url), url
        media = client.get(url)
        assert media.status_code == 200
        assert media["Content-Type"].startswith(modality)


INCLUDE = re.compile(r"{%\s*include\s[^%]*%}")


def test_every_partial_is_included_with_only_its_own_context():
    """A partial sees what its includer hands it and nothing else: a `model` (or a board, or
    the battle) in a page's context can never reach a partial of a blind page."""
    root = Path(settings.BASE_DIR) / "templates"
    includes = [
        (path.relative_to(root), tag)
        for path in sorted(root.rglob("*.html"))
        for tag in INCLUDE.findall(path.read_text())
    ]
    assert len(includes) > 10
    assert [(path, tag) for path, tag in includes if not re.search(r"\sonly\s*%}$", tag)] == []


@pytest.fixture
def names_in_every_context(monkeypatch):
    """Every arena page also gets, in its context, each model a careless change could add:
    the served battle, ``model``, ``model_a``, ``model_b`` and a board naming them all."""
    render = views.render

    def render_with_names(request, template, ctx=None, **kwargs):
        ctx = dict(ctx or {})
        if "card" in ctx:
            served = Battle.objects.get(token=ctx["card"]["token"])
            ctx |= {"battle": served, "model_a": served.model_a, "model_b": served.model_b}
        models = list(AIModel.objects.select_related("lab"))
        board = [
            {"model": m.display_name, "lab": m.lab.name, "votes": 9, "win_rate": 0.5}
            for m in models
        ]
        return render(
            request, template, ctx | {"model": models[0], "personal_board": board}, **kwargs
        )

    monkeypatch.setattr(views, "render", render_with_names)


@pytest.mark.parametrize("modality", ["text", "image", "video"])
def test_a_blind_page_names_no_model_even_when_its_context_holds_them(
    client, text_arena, media_arena, names_in_every_context, modality, settings
):
    settings.ARENA_PERSONAL_BOARD_MIN_VOTES = 1
    token, _ = vote_through_the_form(client, modality, "a")  # asserts the page is blind
    result = client.get(f"/arena/{modality}/result/{token}/").content.decode()
    assert "Your leaderboard" in result, "the context holds names that pages do show"
    card = client.get(f"/arena/{modality}/card/").content.decode()
    assert 'data-battle-card data-token="' in card
    for secret in identities():
        assert secret not in card, f"{secret!r} leaks into the next battle's card"


def test_the_battle_card_shows_a_model_only_where_its_includer_passes_one(text_arena):
    model = AIModel.objects.select_related("lab").first()
    card = {"token": "t", "prompt": {"text": "Q"}, "a": {"kind": "text", "html": "<p>1</p>"}}
    blind = render_to_string(
        "arena/_battle_card.html", card | {"model": model, "battle": model, "b": card["a"]}
    )
    assert model.display_name not in blind and model.lab.name not in blind
    shown = render_to_string("arena/_battle_card.html", card | {"model_a": model})
    assert f'Model A<span class="model-name" data-model-name>: {model.display_name}' in shown


def test_the_next_battles_card_comes_alone_and_keeps_the_filters(client, text_arena):
    page = client.get("/arena/text/?category=coding&language=fr").content.decode()
    assert 'data-card-url="/arena/text/card/?category=coding&amp;language=fr"' in page
    card = client.get("/arena/text/card/?category=coding&language=fr")
    html = card.content.decode()
    assert card.status_code == 200 and "<html" not in html and "<form" not in html
    token = re.search(r'data-token="([^"]+)"', html)[1]
    assert Battle.objects.get(token=token).prompt.language == "fr"
    nothing = client.get("/arena/text/card/?category=poetry")
    assert nothing.status_code == 404 and "Nothing to serve" in nothing.content.decode()


def test_the_voter_panel_comes_alone_with_the_board_after_enough_votes(
    client, text_arena, settings
):
    settings.ARENA_PERSONAL_BOARD_MIN_VOTES = 1
    assert "Your leaderboard" not in client.get("/arena/text/voter/").content.decode()
    vote_through_the_form(client, "text", "a")
    panel = client.get("/arena/text/voter/").content.decode()
    assert panel.startswith('<section class="voter"') and "Your leaderboard (text)" in panel


def test_the_choices_and_their_labels_are_the_vote_outcomes(client, text_arena):
    html = client.get("/arena/text/").content.decode()
    buttons = re.findall(r'data-choice="([^"]+)" data-label="([^"]+)" data-keys="([^"]+)"', html)
    assert [(c, label) for c, label, _ in buttons] == list(Vote.Outcome.choices)
    assert [keys for *_, keys in buttons] == ["a", "b", "t", "x"]


def test_an_answers_top_heading_sits_just_under_the_model_heading(client, text_arena):
    """Whatever level an answer starts its headings at, the page outline goes h3 -> h4."""
    from arena.models import Output

    for output in Output.objects.filter(modality="text"):
        output.text = f"### Answer {output.pk}\n\nGreen.\n\n#### Roots"
        output.save(update_fields=["text"])
    html = client.get("/arena/text/").content.decode()
    assert len(re.findall(r"<h4>Answer \d+</h4>", html)) == 2
    assert html.count("<h5>Roots</h5>") == 2
    assert "<h6>" not in html
