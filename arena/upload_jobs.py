"""Admin uploads as jobs: a staged upload is claimed by one worker, run through
``prompt_set_ingest`` with its progress recorded for the admin's page, and always ends
DONE or FAILED with a report; the staged files are deleted when it ends."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from arena.jobs import LeaseKeeper, SweepReport, job_claim, job_send, job_sweep, lease_owner
from arena.media import MediaError, MediaLimits, ZipSource
from arena.models import PromptSet, Upload
from arena.progress import Progress
from arena.set_ingest import prompt_set_ingest


def _upload_progress(upload_id: int) -> Progress:
    last = {"value": (None, -1)}

    def report(phase: str, done: int, total: int) -> None:
        # Outside the write transaction, so the admin's page sees it; throttled to 1%.
        step = (phase, 100 * done // total if total else 0)
        if step != last["value"]:
            last["value"] = step
            Upload.objects.filter(id=upload_id).update(phase=phase, done=done, total=total)

    return report


def _upload_finish(upload: Upload, status: str, report: dict[str, object]) -> None:
    """Record the outcome and delete the staged files: they name the models, and the
    report is what the admin needs afterwards."""
    for staged in (upload.manifest, upload.media):
        if staged:
            staged.storage.delete(staged.name)
    Upload.objects.filter(id=upload.id).update(
        status=status,
        report=report,
        finished_at=timezone.now(),
        manifest="",
        media="",
        prompt_set=upload.prompt_set,
        claimed_by="",
        lease_until=None,
    )


def upload_process(*, upload_id: int) -> None:
    """Run a pending upload through prompt_set_ingest. Claimed with one conditional UPDATE
    (``arena.jobs``: PENDING, or RUNNING with an expired lease), so a redelivered task does
    not import twice; the lease is renewed while the import runs."""
    owner = lease_owner()
    if not job_claim(Upload, upload_id, owner, started_at=timezone.now(), phase="reading"):
        return
    upload = Upload.objects.get(id=upload_id)
    with LeaseKeeper(Upload, upload_id, owner):
        try:
            _upload_import(upload)
        except Exception as error:
            upload_fail(
                upload_id=upload_id,
                owner=owner,
                reason=f"the import crashed ({type(error).__name__})",
            )
            raise


def _upload_import(upload: Upload) -> None:
    with upload.manifest.open("rb") as handle:
        manifest = handle.read()
    source = (
        ZipSource(upload.media.open("rb"), MediaLimits.from_settings()) if upload.media else None
    )
    try:
        report = prompt_set_ingest(
            manifest=manifest,
            manifest_name=upload.manifest_name,
            media=source,
            create_models=upload.create_models,
            progress=_upload_progress(upload.id),
        )
    except MediaError as error:  # a staged file changed between check and write
        _upload_finish(
            upload,
            Upload.Status.FAILED,
            {"ok": False, "summary": str(error), "errors": [str(error)]},
        )
        return
    finally:
        if source is not None:
            source.close()
    if report.ok:
        upload.prompt_set = PromptSet.objects.get(name=report.set_name)
    status = Upload.Status.DONE if report.ok else Upload.Status.FAILED
    _upload_finish(upload, status, report.as_dict())


def upload_queue(upload: Upload) -> bool:
    """Send a committed upload to the workers. If the broker is unreachable, the upload is
    discarded (its row and staged files), so nothing is left pending: ``False``."""
    from arena.tasks import upload_process_task

    if job_send(upload_process_task, upload.id):
        return True
    for staged in (upload.manifest, upload.media):
        if staged:
            staged.storage.delete(staged.name)
    upload.delete()
    return False


def upload_sweep() -> SweepReport:
    """Beat's sweep: send again the uploads whose message was lost, take back those whose
    worker died, and fail (with a report) those whose worker died too often."""
    from arena.tasks import upload_process_task

    def fail(upload_ids: list[int]) -> None:
        for upload in Upload.objects.filter(
            id__in=upload_ids, status=Upload.Status.RUNNING, lease_until__lt=timezone.now()
        ):
            _upload_finish(
                upload,
                Upload.Status.FAILED,
                {
                    "ok": False,
                    "summary": "the import stopped: nothing was written",
                    "errors": [
                        f"its worker stopped {settings.ARENA_MAX_ATTEMPTS} times during the "
                        "import (killed, or out of memory); upload it again, or split it"
                    ],
                },
            )

    return job_sweep(Upload, send=lambda pk: job_send(upload_process_task, pk), fail=fail)


def upload_fail(*, upload_id: int, owner: str, reason: str) -> None:
    """The import crashed in the worker holding the claim ``owner``: fail it now, with a
    report, rather than leave the admin's page spinning until the sweep gives up. Only the
    crashed claim's own upload: a duplicate delivery that crashes before claiming (or a
    worker whose lease was taken over) never fails the upload another worker is importing.
    A worker killed outright (out of memory, hard time limit) cannot say so: its lease runs
    out and the sweep takes over (``upload_sweep``)."""
    upload = Upload.objects.filter(
        id=upload_id, status=Upload.Status.RUNNING, claimed_by=owner
    ).first()
    if upload is not None:
        _upload_finish(
            upload,
            Upload.Status.FAILED,
            {
                "ok": False,
                "summary": "the import stopped: nothing was written",
                "errors": [reason],
            },
        )
