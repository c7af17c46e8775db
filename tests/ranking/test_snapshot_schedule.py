from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from arena.models import Vote
from ranking.models import ModelRating, RatingSnapshot
from ranking.scheduling import snapshot_refresh_due
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request, snapshot_schedule
from tests.factories import VoteFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a call as if its transaction committed: on-commit hooks (the enqueued, eager
    Celery tasks) run at the end of the block, as they would in production."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def test_beat_refreshes_snapshots_on_the_configured_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["rating-snapshots-refresh"]
    assert entry["task"] == "ranking.tasks.snapshot_refresh_task"
    assert entry["schedule"] == settings.RANKING_REFRESH_MINUTES * 60 == 600


def test_a_refresh_makes_the_overall_and_the_big_enough_scopes(voted_models, settings, committed):
    settings.RANKING_MIN_SCOPE_VOTES = 1500
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    made = committed(snapshot_refresh_due, now=NOW)
    assert sorted((s.category, s.language) for s in made) == [
        ("", ""),
        ("coding", ""),
        ("math", ""),
    ]
    assert all(s.status == "done" for s in RatingSnapshot.objects.all())  # eager Celery in tests


def test_a_refresh_is_skipped_when_no_vote_arrived(voted_models, settings, committed):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    settings.RANKING_MIN_SCOPE_VOTES = 10**6  # the overall snapshot only
    first = committed(snapshot_refresh_due, now=NOW)
    second = committed(snapshot_refresh_due, now=NOW.replace(day=2))
    assert [s.pk for s in first] == [s.pk for s in second]
    assert RatingSnapshot.objects.count() == 1
    VoteFactory(
        model_a=voted_models["alpha"],
        model_b=voted_models["beta"],
        created_at=datetime(2024, 5, 1, tzinfo=UTC),
    )
    third = committed(snapshot_refresh_due, now=NOW.replace(day=3))
    assert RatingSnapshot.objects.count() == 2 and third[0].n_votes == 3001


def test_a_newly_excluded_vote_also_triggers_a_refresh(voted_models, settings, committed):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    settings.RANKING_MIN_SCOPE_VOTES = 10**6  # the overall snapshot only
    committed(snapshot_refresh_due, now=NOW)
    Vote.objects.filter(pk=Vote.objects.first().pk).update(excluded=True, exclusion_reason="admin")
    committed(snapshot_refresh_due, now=NOW)
    assert RatingSnapshot.objects.count() == 2


def test_a_duplicated_task_computes_the_snapshot_once(voted_models):
    snapshot, _ = snapshot_request(spec=SnapshotSpec(modality="text", rounds=100, cutoff=NOW))
    assert snapshot_compute(snapshot_id=snapshot.pk) is not None
    assert snapshot_compute(snapshot_id=snapshot.pk) is None
    assert ModelRating.objects.filter(snapshot=snapshot).count() == 4


def test_a_request_for_the_same_votes_and_parameters_finds_the_existing_snapshot(voted_models):
    spec = SnapshotSpec(modality="text", rounds=100, cutoff=NOW)
    first, needed = snapshot_request(spec=spec)
    again, needed_again = snapshot_request(spec=spec)
    assert needed and not needed_again and first.pk == again.pk


def test_a_snapshot_abandoned_by_a_dead_worker_is_taken_over_when_its_lease_runs_out(
    voted_models,
):
    snapshot, _ = snapshot_request(spec=SnapshotSpec(modality="text", rounds=100, cutoff=NOW))
    RatingSnapshot.objects.filter(pk=snapshot.pk).update(
        status="running",
        claimed_by="dead-worker",
        lease_until=timezone.now() + timedelta(seconds=60),
    )
    assert snapshot_compute(snapshot_id=snapshot.pk) is None  # its lease runs: someone has it
    RatingSnapshot.objects.filter(pk=snapshot.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    done = snapshot_compute(snapshot_id=snapshot.pk)
    assert done.status == "done" and done.attempts == 1 and done.claimed_by != "dead-worker"


def test_the_task_is_enqueued_only_after_the_row_is_committed(
    voted_models, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        snapshot = snapshot_schedule(spec=SnapshotSpec(modality="text", rounds=100, cutoff=NOW))
    assert len(callbacks) == 1
    snapshot.refresh_from_db()
    assert snapshot.status == "pending"
    callbacks[0]()  # the commit happens: the (eager) task runs
    snapshot.refresh_from_db()
    assert snapshot.status == "done"


def test_a_failed_fit_is_marked_failed_and_retried_by_the_next_request(
    voted_models, monkeypatch, committed
):
    import ranking.services

    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(ranking.services, "rate", broken)
    spec = SnapshotSpec(modality="text", rounds=100, cutoff=NOW)
    with pytest.raises(RuntimeError):
        committed(snapshot_schedule, spec=spec)
    snapshot = RatingSnapshot.objects.get()
    assert snapshot.status == "failed" and "solver exploded" in snapshot.error
    monkeypatch.undo()
    committed(snapshot_schedule, spec=spec)
    snapshot.refresh_from_db()
    assert snapshot.status == "done" and snapshot.attempts == 2


def test_backfill_makes_one_month_end_snapshot_per_month_and_is_idempotent(
    voted_models, capsys, settings, committed
):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    committed(call_command, "backfill_snapshots", "--modality", "text", "--monthly")
    snapshots = RatingSnapshot.objects.filter(kind="month_end").order_by("cutoff")
    assert [(s.cutoff.month, s.n_votes, s.status) for s in snapshots] == [
        (2, 1000, "done"),
        (3, 2000, "done"),
        (4, 3000, "done"),
    ]
    assert "3 queued" in capsys.readouterr().out
    call_command("backfill_snapshots", "--modality", "text", "--monthly")
    assert "0 queued for the workers, 3 already there" in capsys.readouterr().out
    assert RatingSnapshot.objects.count() == 3


def test_backfill_since_starts_at_that_month(voted_models, settings, committed):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    committed(
        call_command, "backfill_snapshots", "--modality", "text", "--monthly", "--since", "2024-03"
    )
    assert [s.cutoff.month for s in RatingSnapshot.objects.order_by("cutoff")] == [4]


def test_fit_ratings_prints_the_board_and_refuses_bad_options(voted_models, capsys):
    call_command(
        "fit_ratings",
        "--modality",
        "text",
        "--rounds",
        "100",
        "--as-of",
        "2024-02-29",
        "--anchor",
        "delta=900",
        "--seed",
        "3",
    )
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "2000 votes" in lines[0] and "4 models" in lines[0]
    assert lines[2].split()[2] == "alpha"
    from django.core.management.base import CommandError

    for args, message in [
        (["--anchor", "nobody=1"], "no model with key 'nobody'"),
        (["--anchor", "delta"], "must read MODEL=SCORE"),
        (["--as-of", "yesterday"], "is not YYYY-MM-DD"),
        (["--rounds", "-1"], "must be 0 \\(analytic intervals\\) or at least 100"),
        (["--rounds", "1"], "must be 0 \\(analytic intervals\\) or at least 100, got 1"),
        (["--style-control", "--modality", "image"], "style control needs text outputs"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("fit_ratings", "--modality", "text", *args)
