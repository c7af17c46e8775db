"""The boards and the month-end history are made without waiting for beat: when a worker
starts and after every import (``RANKING_CATCH_UP``). Celery is eager here, so the tasks the
catch-up sends compute in the test; the stack test (tests/stack/test_first_boards.py) shows
the real worker doing it."""

from __future__ import annotations

from django.core.management import call_command

from ranking.catch_up import catch_up_on_start
from ranking.models import RatingSnapshot
from ranking.scheduling import boards_catch_up

DONE = RatingSnapshot.Status.DONE


def kinds_done() -> list[str]:
    return sorted(RatingSnapshot.objects.filter(status=DONE).values_list("kind", flat=True))


def test_the_catch_up_makes_each_board_and_the_month_end_history(
    voted_models, settings, django_capture_on_commit_callbacks
):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    settings.RANKING_STYLE_CONTROL = False
    with django_capture_on_commit_callbacks(execute=True):
        boards_catch_up()
    # The text votes run January to March 2024: one current board, three month ends, and
    # the same for each category with enough votes (coding and math: 1,500 each).
    snapshots = RatingSnapshot.objects.filter(status=DONE)
    assert snapshots.filter(kind="current", category="").count() == 1
    assert sorted(
        snapshots.filter(kind="month_end", category="").values_list("cutoff__month", flat=True)
    ) == [2, 3, 4]
    assert snapshots.filter(kind="month_end", category="coding").count() == 3


def test_a_second_catch_up_makes_nothing_new(
    voted_models, settings, django_capture_on_commit_callbacks
):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    with django_capture_on_commit_callbacks(execute=True):
        boards_catch_up()
    made = RatingSnapshot.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        boards_catch_up()
    assert RatingSnapshot.objects.count() == made


def test_an_import_of_votes_makes_the_boards_once_committed(
    db, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    settings.RANKING_CATCH_UP = True
    votes = tmp_path / "votes.csv"
    votes.write_text(
        "model_a,model_b,winner,timestamp\n"
        + "".join(f"m1,m2,{w},2024-01-0{1 + n % 9}T00:00:00Z\n" for n, w in
                  enumerate(["model_a", "model_b", "tie"] * 10))
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_votes", str(votes), "--format", "csv", "--modality", "text",
            "--source", "lmsys",
            "--create-models",
        )  # fmt: skip
    assert kinds_done() == ["current", "month_end"]


def test_seeding_the_demo_makes_the_boards(db, settings, django_capture_on_commit_callbacks):
    settings.RANKING_BOOTSTRAP_ROUNDS = 0  # analytic intervals: the demo has many months
    settings.RANKING_CATCH_UP = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--votes-per-month", "20")
    current = RatingSnapshot.objects.filter(status=DONE, kind="current", category="", language="")
    assert set(current.values_list("modality", flat=True)) == {"text", "image", "video"}
    assert RatingSnapshot.objects.filter(status=DONE, kind="month_end").exists()


def test_a_starting_worker_catches_up(voted_models, settings, django_capture_on_commit_callbacks):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    settings.RANKING_CATCH_UP = True
    with django_capture_on_commit_callbacks(execute=True):
        catch_up_on_start(sender=None)
    assert "current" in kinds_done() and "month_end" in kinds_done()


def test_with_the_catch_up_off_nothing_is_sent(voted_models, settings):
    settings.RANKING_CATCH_UP = False
    catch_up_on_start(sender=None)
    assert not RatingSnapshot.objects.exists()
