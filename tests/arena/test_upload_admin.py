"""The admin upload page: staff only, CSRF-protected, a worker imports, the page reports."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from arena.demo_media import demo_png
from arena.jobs import job_claim
from arena.models import Output, PromptSet, Upload
from arena.upload_jobs import upload_fail
from tests.arena.import_helpers import jsonl, media_files, media_rows, snapshot, zip_bytes
from tests.factories import AIModelFactory

pytestmark = pytest.mark.django_db
UPLOAD_URL = "/admin/arena/promptset/upload/"


@pytest.fixture(autouse=True)
def models():
    return [AIModelFactory(key=key, modalities=["image"]) for key in ("m-a", "m-b")]


def image_upload(bad: bool = False) -> dict[str, object]:
    rows = media_rows("image", {("p1", "m-a"): "a.png", ("p1", "m-b"): "b.png"})
    members = {"a.png": demo_png("a"), "b.png": b"<svg/>" if bad else demo_png("b")}
    return {
        "manifest": SimpleUploadedFile("set.jsonl", jsonl(rows)),
        "media": SimpleUploadedFile("media.zip", zip_bytes(members)),
    }


def test_the_upload_page_is_for_staff_only(client, django_user_model):
    assert client.get(UPLOAD_URL).status_code == 302  # to the admin login
    voter = django_user_model.objects.create_user("alice", password="pw-alice-1")
    client.force_login(voter)
    response = client.get(UPLOAD_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_set_list_links_to_the_upload_page(admin_client_carol):
    page = admin_client_carol.get(reverse("admin:arena_promptset_changelist"))
    assert UPLOAD_URL in page.content.decode()
    form = admin_client_carol.get(UPLOAD_URL)
    assert form.status_code == 200 and b"csrfmiddlewaretoken" in form.content


def test_a_post_without_the_csrf_token_is_refused(carol):
    client = Client(enforce_csrf_checks=True)
    client.force_login(carol)
    assert client.post(UPLOAD_URL, image_upload()).status_code == 403
    assert not Upload.objects.exists()


def test_an_upload_is_imported_by_the_worker_and_the_report_shown(admin_client_carol):
    before = media_files()
    response = admin_client_carol.post(UPLOAD_URL, image_upload())
    upload = Upload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{UPLOAD_URL}{upload.id}/"
    assert upload.status == Upload.Status.DONE
    assert upload.prompt_set == PromptSet.objects.get(name="Set M")
    assert Output.objects.count() == 2
    assert not upload.manifest and not upload.media
    assert not any(name.startswith("uploads/") for name in media_files() - before)
    page = admin_client_carol.get(response["Location"]).content.decode()
    assert "Imported" in page and "outputs: 2 created" in page
    assert 'http-equiv="refresh"' not in page


def test_a_bad_upload_shows_every_problem_and_writes_nothing(admin_client_carol):
    before = snapshot()
    response = admin_client_carol.post(UPLOAD_URL, image_upload(bad=True))
    page = admin_client_carol.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Refused" in html and "1 problem: nothing was written" in html
    assert "row 2, media: &#x27;b.png&#x27; is SVG: refused" in html
    assert snapshot() == before


def test_the_upload_is_sent_to_the_workers_once_saved(admin_client_carol):
    with mock.patch("arena.tasks.upload_process_task.apply_async") as send:
        admin_client_carol.post(UPLOAD_URL, image_upload())
    pending = Upload.objects.get()
    assert send.call_args.args == ((pending.id,),)
    assert pending.status == Upload.Status.PENDING and pending.manifest and pending.media
    page = admin_client_carol.get(f"{UPLOAD_URL}{pending.id}/").content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page


def test_without_a_broker_the_admin_is_told_and_nothing_is_kept(admin_client_carol):
    from kombu.exceptions import OperationalError

    before = media_files()
    refused = OperationalError("Error 111 connecting to redis:6379. Connection refused.")
    with mock.patch("arena.tasks.upload_process_task.apply_async", side_effect=refused):
        response = admin_client_carol.post(UPLOAD_URL, image_upload())
    assert response.status_code == 503
    assert b"The job queue (Redis) cannot be reached" in response.content
    assert b"Nothing was saved: try again in a minute." in response.content
    assert not Upload.objects.exists()
    assert media_files() == before


def test_the_form_refuses_files_that_cannot_be_a_manifest_or_an_archive(admin_client_carol):
    response = admin_client_carol.post(
        UPLOAD_URL,
        {
            "manifest": SimpleUploadedFile("set.exe", b"MZ"),
            "media": SimpleUploadedFile("media.rar", b"Rar!"),
        },
    )
    assert response.status_code == 200
    assert b"A manifest is a .jsonl or .csv file." in response.content
    assert b"Media come as one .zip archive." in response.content
    assert not Upload.objects.exists()


def test_a_crashed_import_marks_the_upload_failed_and_removes_its_files(admin_client_carol):
    from arena.tasks import upload_process_task

    with mock.patch("arena.tasks.upload_process_task.apply_async"):
        admin_client_carol.post(UPLOAD_URL, image_upload())
    upload = Upload.objects.get()
    staged = {upload.manifest.name, upload.media.name}
    assert staged <= media_files()
    with mock.patch("arena.upload_jobs._upload_import", side_effect=MemoryError):
        # throw=False: as on a real worker, where the task fails instead of propagating
        result = upload_process_task.apply(args=[upload.id], throw=False)
    assert result.failed()
    upload.refresh_from_db()
    assert upload.status == Upload.Status.FAILED
    assert upload.report["errors"] == ["the import crashed (MemoryError)"]
    assert not staged & media_files()


def test_a_duplicate_delivery_that_crashes_leaves_the_running_import_alone(admin_client_carol):
    from arena.tasks import upload_process_task

    with mock.patch("arena.tasks.upload_process_task.apply_async"):
        admin_client_carol.post(UPLOAD_URL, image_upload())
    upload = Upload.objects.get()
    assert job_claim(Upload, upload.id, "worker-1:42:abcd")  # worker 1 is importing it
    refused = DatabaseError("the connection was lost")
    with mock.patch("arena.upload_jobs.job_claim", side_effect=refused):
        result = upload_process_task.apply(args=[upload.id], throw=False)  # worker 2's copy
    assert result.failed()
    upload.refresh_from_db()
    assert (upload.status, upload.claimed_by) == (Upload.Status.RUNNING, "worker-1:42:abcd")
    assert {upload.manifest.name, upload.media.name} <= media_files()
    upload_fail(upload_id=upload.id, owner="worker-2:7:ef01", reason="crashed")
    upload.refresh_from_db()
    assert upload.status == Upload.Status.RUNNING  # not worker 2's claim to fail


def test_a_text_set_upload_creates_models_when_asked_and_lists_identity_leaks(
    admin_client_carol,
):
    rows = [
        {
            "set": "Chat",
            "modality": "text",
            "prompt_id": "p1",
            "prompt": "Who are you?",
            "model": key,
            "text": text,
        }
        for key, text in (("m-a", "A helpful answer."), ("brand-new", "I am brand-new, hi."))
    ]
    manifest = SimpleUploadedFile("chat.jsonl", jsonl(rows))
    response = admin_client_carol.post(UPLOAD_URL, {"manifest": manifest, "create_models": "on"})
    page = admin_client_carol.get(response["Location"]).content.decode()
    assert "models created: 1" in page and "identity leaks flagged: 1" in page
    assert "row 2: names its own model or lab: &#x27;I am brand-new&#x27;" in page
    assert Output.objects.get(model__key="brand-new").identity_leak


def test_a_long_report_is_capped_on_the_upload():
    from arena.set_ingest import IngestReport
    from pairwise.rows import RowError

    report = IngestReport(errors=[RowError(n, "model", "bad") for n in range(1, 1006)])
    assert report.as_dict()["errors"][-2:] == ["row 1000, model: bad", "... and 5 more"]


def staged_upload(admin_client_carol, **changes: object) -> Upload:
    """An upload saved by the admin page whose message never reached a worker."""
    with mock.patch("arena.tasks.upload_process_task.apply_async"):
        admin_client_carol.post(UPLOAD_URL, image_upload())
    upload = Upload.objects.get()
    Upload.objects.filter(pk=upload.pk).update(**changes)
    return Upload.objects.get(pk=upload.pk)


def test_an_upload_whose_message_was_lost_is_sent_again_and_imported(admin_client_carol, settings):
    from arena.upload_jobs import upload_sweep

    lost = staged_upload(
        admin_client_carol,
        queued_at=timezone.now() - timedelta(seconds=settings.ARENA_RESEND_AFTER_SECONDS + 1),
    )
    assert upload_sweep().resent == [lost.pk]  # eager Celery: imported here
    lost.refresh_from_db()
    assert lost.status == Upload.Status.DONE and Output.objects.count() == 2


def test_an_upload_whose_worker_died_is_taken_back_then_failed_if_it_keeps_dying(
    admin_client_carol, settings
):
    from arena.upload_jobs import upload_sweep

    expired = timezone.now() - timedelta(seconds=1)
    upload = staged_upload(admin_client_carol, status="running", lease_until=expired, attempts=1)
    with mock.patch("arena.tasks.upload_process_task.apply_async") as send:
        assert upload_sweep().taken_back == [upload.pk]
    assert send.call_args.args == ((upload.pk,),)
    staged = {upload.manifest.name, upload.media.name}
    Upload.objects.filter(pk=upload.pk).update(
        status="running", lease_until=expired, attempts=settings.ARENA_MAX_ATTEMPTS
    )
    assert upload_sweep().failed == [upload.pk]
    upload.refresh_from_db()
    assert upload.status == Upload.Status.FAILED
    assert "its worker stopped 3 times during the import" in upload.report["errors"][0]
    assert not staged & media_files()


def test_the_upload_form_explains_the_manifest_itself(admin_client_carol):
    """An admin in a browser cannot open a repository file: the help is in the form."""
    html = admin_client_carol.get(UPLOAD_URL).content.decode()
    assert "data-upload-help" in html and "docs/uploads.md" not in html
    for field in ("set", "modality", "prompt_id", "prompt", "model", "text", "media"):
        assert f"<code>{field}</code>" in html, field
    assert "fox/dalle.png" in html  # a complete example
