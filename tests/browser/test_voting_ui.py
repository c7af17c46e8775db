"""The voting screen as people meet it, on a desktop (1366x900) and on a phone (390x844):
the choices on the first screen, nothing scrolling sideways, text with its line breaks,
keys that vote only when meant to, a zoom that fills the screen and two videos that stay
together whatever the voter does (docs/voting-ui.md)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from arena.models import Output, Vote
from ranking.models import RatingSnapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: How far apart two videos may show their clocks and still be "the same moment".
SYNC_SECONDS = 0.1


@pytest.fixture
def media_demo(settings):
    settings.ARENA_MIN_READ_SECONDS = 0
    call_command("seed_demo", "--votes-per-month", "1")


def press(page, button) -> None:
    """A tap on a phone, a click on a desktop."""
    if page.screen_name == "phone":
        button.tap()
    else:
        button.click()


@pytest.fixture
def media_by_the_project(live_server):
    """/media/ answered by the project's own view (arena.views_media, with byte ranges, as in
    production) rather than by the test server's plain file handler, which answers without
    ranges: a browser cannot seek a video served that way."""
    from django.core.handlers.wsgi import WSGIHandler

    server = live_server.thread.httpd
    original = server.get_app()  # static files handler(media files handler(Django))
    server.set_app(type(original)(WSGIHandler()))
    yield
    server.set_app(original)


def assert_choices_on_first_screen(page) -> None:
    viewport = page.viewport_size
    buttons = page.locator("[data-choice]")
    expect(buttons).to_have_count(4)
    for button in buttons.all():
        box = button.bounding_box()
        assert box is not None, "a vote button is not rendered"
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (
            f"{button.inner_text()!r} lies outside the first screen: {box}"
        )
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    prompt = page.locator("[data-prompt-text]").bounding_box()
    assert prompt["y"] + prompt["height"] <= viewport["height"], "the prompt is below the fold"


def assert_no_sideways_scroll(page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


@pytest.mark.parametrize("modality", ["text", "image", "video"])
def test_the_prompt_and_the_four_choices_are_on_the_first_screen_also_after_next(
    screen, live_server, media_demo, modality
):
    screen.goto(f"{live_server.url}/arena/{modality}/")
    screen.wait_for_load_state("load")
    assert_choices_on_first_screen(screen)
    card = screen.locator("[data-battle-card]")
    token = card.get_attribute("data-token")
    press(screen, screen.locator('[data-choice="both_bad"]'))
    expect(screen.locator("[data-reveal]")).to_contain_text("You voted: Both are bad.")
    next_battle = screen.locator("[data-next]")
    box = next_battle.bounding_box()
    assert box["y"] + box["height"] <= screen.viewport_size["height"], "Next is off-screen"
    next_battle.click()
    expect(card).not_to_have_attribute("data-token", token)
    expect(screen.locator("[data-choice]").first).to_be_enabled()
    assert_choices_on_first_screen(screen)
    assert_no_sideways_scroll(screen)


def test_touch_screens_show_no_keyboard_hints_and_keyboards_do(screen, live_server, text_arena):
    screen.goto(f"{live_server.url}/arena/text/")
    hint = screen.locator("[data-choice='a'] kbd")
    if screen.screen_name == "phone":
        expect(hint).to_be_hidden()
        expect(screen.locator(".shortcut-list")).to_be_hidden()
    else:
        expect(hint).to_be_visible()
        expect(hint).to_have_text("A")


def public_pages(live_server_url: str, browser) -> list[str]:
    """Every public page of the demo, the result page of a vote included."""
    snapshot = RatingSnapshot.objects.filter(modality="text").order_by("-pk").first()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server_url}/arena/image/")
    page.locator('[data-choice="tie"]').click()
    result = page.url
    context.close()
    assert "/result/" in result
    return [
        "/",
        "/arena/text/",
        "/arena/image/",
        "/arena/video/",
        result.removeprefix(live_server_url),
        "/leaderboard/",
        "/leaderboard/text/",
        "/leaderboard/image/",
        "/leaderboard/text/models/deepseek-r1/",
        f"/leaderboard/snapshots/{snapshot.pk}/how-made/",
        "/frontier/",
        "/frontier/?mode=current&compare=open-us-china",
        "/frontier/summary/?mode=current",
        "/privacy/",
        "/status/",
        "/api/docs/",
        "/no-such-page/",
    ]


def test_no_public_page_scrolls_sideways(browser, screen, live_server, demo):
    for path in public_pages(live_server.url, browser):
        screen.goto(f"{live_server.url}{path}")
        screen.wait_for_load_state("networkidle")
        assert_no_sideways_scroll(screen)


def test_a_haiku_keeps_its_three_lines(desktop, live_server, text_arena):
    haiku = "An old silent pond\nA frog jumps into the pond\nSplash! Silence again"
    Output.objects.filter(modality="text").update(text=haiku)
    desktop.goto(f"{live_server.url}/arena/text/")
    answer = desktop.locator('[data-side="a"] .markdown')
    assert answer.inner_text().strip().splitlines() == haiku.splitlines()
    assert answer.locator("br").count() == 2


def test_arrow_keys_scroll_and_never_vote_while_letters_do(desktop, live_server, text_arena):
    posts: list[str] = []
    desktop.on(
        "request",
        lambda request: (
            posts.append(request.post_data)
            if request.method == "POST" and "/api/v1/votes/" in request.url
            else None
        ),
    )
    desktop.goto(f"{live_server.url}/arena/text/")
    for key in ("ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight", "PageDown", "Space"):
        desktop.keyboard.press(key)
    # Keys are handled in order: the vote of "t" is the first POST, or an arrow voted.
    with desktop.expect_response(lambda response: "/api/v1/votes/" in response.url):
        desktop.keyboard.press("t")
    expect(desktop.locator("[data-reveal]")).to_contain_text("You voted: Tie.")
    assert len(posts) == 1 and '"tie"' in posts[0]
    assert list(Vote.objects.values_list("outcome", flat=True)) == ["tie"]


def zoomed_image_size(page) -> dict:
    return page.evaluate(
        """() => {
          const image = document.querySelector('[data-zoom-image]');
          const box = image.getBoundingClientRect();
          const stage = document.querySelector('[data-zoom-stage]').getBoundingClientRect();
          return {width: box.width, height: box.height, natural: image.naturalWidth,
                  stageWidth: stage.width, stageHeight: stage.height,
                  viewport: window.innerWidth};
        }"""
    )


def test_the_zoom_fills_the_screen_then_shows_full_detail_and_flips_between_a_and_b(
    screen, live_server, media_demo
):
    votes_before = Vote.objects.count()
    screen.goto(f"{live_server.url}/arena/image/")
    sources = [img.get_attribute("src") for img in screen.locator(".output img").all()]
    screen.locator('[data-zoom-side="a"]').click()
    dialog = screen.locator("[data-zoom-dialog]")
    expect(dialog).to_be_visible()
    screen.wait_for_function(
        "() => { const i = document.querySelector('[data-zoom-image]');"
        " return i.complete && i.naturalWidth > 0 && i.style.width !== ''; }"
    )
    fitted = zoomed_image_size(screen)
    # Fitted: its own pixels at least, or the screen's width when the file is wider.
    assert fitted["width"] >= min(fitted["natural"], 0.9 * fitted["viewport"]), (
        f"the zoom shows the image smaller than both its file and the screen: {fitted}"
    )
    assert (
        fitted["width"] >= 0.9 * fitted["stageWidth"]
        or fitted["height"] >= 0.9 * fitted["stageHeight"]
    ), f"the zoomed image does not fill the screen: {fitted}"
    card_width = screen.locator(".output img").first.bounding_box()["width"]
    assert fitted["width"] >= card_width, "the zoom is smaller than the card"

    if screen.screen_name == "desktop":
        screen.keyboard.press("ArrowRight")
    else:
        screen.get_by_role("button", name="Image B").tap()
    expect(screen.locator("[data-zoom-image]")).to_have_attribute("src", sources[1])
    screen.wait_for_function("() => document.querySelector('[data-zoom-image]').complete")
    flipped = zoomed_image_size(screen)
    assert abs(flipped["width"] - fitted["width"]) <= 1 or flipped["natural"] != fitted["natural"]

    screen.locator("[data-zoom-stage]").click()
    expect(screen.locator("[data-zoom-stage]")).to_have_class("zoom-stage detail")
    detail = zoomed_image_size(screen)
    assert detail["width"] >= max(detail["natural"], flipped["width"])
    assert Vote.objects.count() == votes_before, "keys and clicks in the zoom never vote"
    screen.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def videos_in_sync(page, *, playing: bool) -> None:
    """Waits until both videos show the same moment (and play, or not): a broken sync never
    gets there, so the wait fails."""
    page.wait_for_function(
        """([playing, tolerance]) => {
          const [a, b] = document.querySelectorAll('[data-battle-card] video');
          const moving = !a.paused && !b.paused && a.currentTime > 0.3;
          const still = a.paused && b.paused && !a.seeking && !b.seeking;
          return (playing ? moving : still)
            && Math.abs(a.currentTime - b.currentTime) < tolerance;
        }""",
        arg=[playing, SYNC_SECONDS],
    )


def test_one_control_keeps_both_videos_together_whatever_the_voter_clicks(
    screen, live_server, media_by_the_project, media_demo
):
    screen.goto(f"{live_server.url}/arena/video/")
    control = screen.locator("[data-video-sync]")
    play = screen.locator("[data-sync-play]")
    videos = screen.locator("[data-battle-card] video")
    expect(control).to_be_visible()
    # One control for both: the players' own controls, which drive one video each, are gone.
    assert videos.evaluate_all("vs => vs.map(v => v.controls)") == [False, False]
    control_box = control.bounding_box()
    assert control_box["y"] + control_box["height"] <= screen.viewport_size["height"], (
        "the shared video control is below the first screen"
    )
    expect(play).to_have_text("Play both")

    play.click()
    expect(play).to_have_text("Pause both")
    videos_in_sync(screen, playing=True)

    assert videos.evaluate_all("vs => vs.map(v => v.seekable.length)") == [1, 1]
    # Seeking one video from outside the control (as media keys or the browser's menu would)
    # moves the other too.
    screen.evaluate("document.querySelectorAll('[data-battle-card] video')[1].currentTime = 0.2")
    videos_in_sync(screen, playing=True)

    play.click()
    expect(play).to_have_text("Play both")
    videos_in_sync(screen, playing=False)

    # The shared slider seeks both.
    screen.evaluate(
        """() => { const seek = document.querySelector('[data-sync-seek]');
          seek.value = '500'; seek.dispatchEvent(new Event('input', {bubbles: true}));
          seek.dispatchEvent(new Event('change', {bubbles: true})); }"""
    )
    videos_in_sync(screen, playing=False)
    positions = videos.evaluate_all("vs => vs.map(v => v.currentTime)")
    assert min(positions) > 0.2

    # A click (or tap) on either video plays both, from the same frame.
    videos.nth(1).click()
    expect(play).to_have_text("Pause both")
    videos_in_sync(screen, playing=True)

    # After Next the label tells the truth: the new pair is paused.
    press(screen, screen.locator('[data-choice="both_bad"]'))
    expect(screen.locator("[data-reveal]")).to_contain_text("You voted")
    screen.locator("[data-next]").click()
    expect(play).to_have_text("Play both")
    play.click()
    videos_in_sync(screen, playing=True)
