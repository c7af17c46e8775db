"""Several nodes, no shared disk: two web servers (gunicorn) and two Celery workers, each in
an empty folder of its own (its own working directory, MEDIA_ROOT, var/ and temporary
folder), sharing only PostgreSQL (a throwaway database), a Redis of their own and an
S3-compatible object store: moto's server mode (``moto[server]``), started by the test.

An admin uploads an image set through web 1; worker 1 imports it. A voter votes through
web 2. Worker 2, which never saw the upload, computes the snapshot. Then each web server
serves the media (byte ranges too), the leaderboard, the replicates and the frontier with
its intervals, from the store; and no node wrote a file of its own that another needed.

Each worker serves a queue of its own here (``CELERY_QUEUE`` of the web server or command
that sends) only so that the test knows which worker did what; a deployment gives all of
them one queue."""

from __future__ import annotations

import io
import json
import re
import secrets
import shutil
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from arena.demo_media import demo_png
from arena.management.commands.runstack import web_command, worker_command
from tests.stack.conftest import (
    FAULT_SETTINGS,
    ROOT,
    Stack,
    Voter,
    _opener,
    database_rows,
    free_port,
    get,
    production_env,
    wait_for,
)

pytestmark = [pytest.mark.stack, pytest.mark.slow]

MODELS = (  # two labs in the US, one in China: the frontier compares the groups
    "key,display_name,organisation,country,release_date,release_date_source,"
    "release_date_precision,first_listed,licence,modalities\n"
    "painter-us-1,Painter One,Easel Labs,US,2025-01-01,manual,day,2025-01-01,Proprietary,image\n"
    "painter-us-2,Painter Two,Canvas Inc,US,2025-01-01,manual,day,2025-01-01,Open,image\n"
    "painter-cn-1,Painter Three,Brush AI,CN,2025-01-01,manual,day,2025-01-01,Open,image\n"
)
KEYS = ("painter-us-1", "painter-us-2", "painter-cn-1")
PROMPTS = ("p1", "p2")
VOTES = 12


class Node:
    """One machine of the deployment: an empty folder, and the environment of its
    processes pointing every local path into it."""

    def __init__(self, root: Path, name: str, shared: dict[str, str], queue: str) -> None:
        self.name, self.folder = name, root / name
        self.folder.mkdir()
        (self.folder / "tmp").mkdir()
        self.env = shared | {
            "ARENA_VAR_DIR": str(self.folder / "var"),
            "MEDIA_ROOT": str(self.folder / "media"),
            "STATIC_ROOT": str(self.folder / "static"),
            "TMPDIR": str(self.folder / "tmp"),
            "MPLCONFIGDIR": str(self.folder / "tmp" / "matplotlib"),
            "CELERY_QUEUE": queue,
        }

    def manage(self, *args: str, **extra: str) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=self.folder,
            env=self.env | extra,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def media_files(self) -> list[Path]:
        media = self.folder / "media"
        return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        )
        body.write(value.encode() + b"\r\n")
    for name, (filename, data) in files.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        body.write(data + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", body.getvalue()


class Browser:
    """A staff member's browser on the admin: session and CSRF cookies kept by hand
    (production marks them Secure; the test speaks plain HTTP to gunicorn)."""

    def __init__(self, base_url: str) -> None:
        self.base_url, self.cookies = base_url, {}

    def request(
        self, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, dict, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers)
        try:
            with _opener.open(request, timeout=30) as response:
                status, reply, text = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, reply, text = error.code, error.headers, error.read()
        for cookie in reply.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return status, dict(reply), text

    def csrf_token(self, path: str) -> str:
        status, _, page = self.request(path)
        assert status == 200, page[:500]
        return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    def post(self, path: str, fields: dict[str, str], files=None) -> tuple[int, dict, bytes]:
        fields = {"csrfmiddlewaretoken": self.csrf_token(path)} | fields
        content_type, body = multipart(fields, files or {})
        return self.request(path, body, content_type)


def image_set() -> tuple[bytes, bytes]:
    """A manifest and a zip: each model draws each prompt (pictures unique to this run)."""
    import zipfile

    rows, archive = [], io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for prompt in PROMPTS:
            for key in KEYS:
                name = f"{prompt}-{key}.png"
                zipped.writestr(name, demo_png(f"{name}-{secrets.token_hex(4)}"))
                rows.append(
                    {
                        "set": "Paintings",
                        "modality": "image",
                        "prompt_id": prompt,
                        "prompt": f"Paint {prompt}",
                        "category": "art",
                        "language": "en",
                        "model": key,
                        "media": name,
                    }
                )
    manifest = "".join(json.dumps(row) + "\n" for row in rows).encode()
    return manifest, archive.getvalue()


@pytest.fixture
def nodes(tmp_path, throwaway_database, private_redis, local_s3):
    """The five nodes (a release node that migrates, web 1 and 2, worker 1 and 2), their
    shared settings: the database, Redis, the bucket and one SECRET_KEY."""
    bucket = local_s3.new_bucket()
    shared = production_env(
        tmp_path / "unused",
        throwaway_database,
        private_redis.url,
        "unused",
        **FAULT_SETTINGS
        | local_s3.environment(bucket)
        | {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ARENA_MIN_READ_SECONDS": "0",
            "RANKING_FRONTIER_MIN_VOTES": "0",
        },
    )
    queue = f"arena-nodes-{secrets.token_hex(4)}"
    made = {
        name: Node(tmp_path, name, shared, f"{queue}-{lane}")
        for name, lane in (
            ("release", "b"),
            ("web1", "a"),
            ("web2", "b"),
            ("worker1", "a"),
            ("worker2", "b"),
        )
    }
    stack = Stack(tmp_path, shared)
    try:
        yield made, stack, bucket
    finally:
        stack.stop()


def test_two_web_servers_and_two_workers_share_only_the_database_redis_and_the_store(
    nodes, local_s3
):
    nodes, stack, bucket = nodes
    release = nodes["release"]
    release.manage("migrate", "--noinput")
    (release.folder / "models.csv").write_text(MODELS)
    release.manage("import_models", "models.csv")
    release.manage(
        "createsuperuser",
        "--noinput",
        "--username",
        "carol",
        "--email",
        "c@example.org",
        DJANGO_SUPERUSER_PASSWORD="pw-carol-1",
    )
    # Static files are part of the release (an image's layer): built once, copied to each web.
    release.manage("collectstatic", "--noinput", "--verbosity", "0")
    ports = {}
    for name in ("web1", "web2"):
        shutil.copytree(release.folder / "static", nodes[name].folder / "static")
        ports[name] = free_port()
        command = web_command("127.0.0.1", ports[name], ["--workers", "1", "--threads", "4"])
        stack.start(name, command, env=nodes[name].env, cwd=nodes[name].folder)
    for name in ("worker1", "worker2"):
        stack.start(name, worker_command(name, 1), env=nodes[name].env, cwd=nodes[name].folder)
    web = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    for url in web.values():
        wait_for(
            lambda u=url: get(f"{u}/healthz")[0] in {200, 503},
            seconds=120,
            what=f"{url} to answer",
            logs=stack.logs,
        )

    # An admin uploads the image set through web 1; worker 1 imports it from the store.
    admin = Browser(web["web1"])
    status, _, _ = admin.post(
        "/admin/login/?next=/admin/", {"username": "carol", "password": "pw-carol-1"}
    )
    assert status == 302
    manifest, archive = image_set()
    status, headers, page = admin.post(
        "/admin/arena/promptset/upload/",
        {},
        {"manifest": ("paintings.jsonl", manifest), "media": ("paintings.zip", archive)},
    )
    assert status == 302, page[:2000]
    database = stack.env["DATABASE_URL"]

    def upload_finished():
        rows = database_rows(database, "SELECT status, phase FROM arena_upload")
        return rows and rows[0][0] in {"done", "failed"} and rows[0]

    assert wait_for(upload_finished, seconds=180, what="the import", logs=stack.logs)[0] == "done"
    assert "upload_process_task[" in stack.log("worker1")
    assert "upload_process_task[" not in stack.log("worker2")
    stored = database_rows(database, "SELECT media FROM arena_output ORDER BY id")
    assert len(stored) == len(KEYS) * len(PROMPTS)
    keys = local_s3.keys(bucket)
    assert {name for (name,) in stored} <= keys
    assert not any(key.startswith(("staging/", "uploads/")) for key in keys)

    # A voter votes through web 2; what it is shown names no model.
    voter, media_urls = Voter(web["web2"]), set()
    for _ in range(VOTES):
        status, battle = voter._call("GET", "/api/v1/battles/next/?modality=image")
        assert status == 200, battle
        text = json.dumps(battle)
        assert not any(key in text for key in KEYS) and bucket not in text
        media_urls |= set(re.findall(r'"(/media/o/[0-9a-f]{64}\.png)"', text))
        status, _ = voter._call("POST", "/api/v1/votes/", {"token": battle["token"], "choice": "a"})
        assert status == 201
    assert media_urls

    # Worker 2, which never saw the media, computes the snapshot (the command sends to its queue).
    nodes["release"].manage(
        "shell",
        "-c",
        "from ranking.services import SnapshotSpec, snapshot_schedule; "
        "snapshot_schedule(spec=SnapshotSpec(modality='image'))",
    )

    def snapshot_done():
        rows = database_rows(database, "SELECT id, status, data_file FROM ranking_ratingsnapshot")
        return rows and all(row[1] in {"done", "failed"} for row in rows) and rows

    snapshots = wait_for(snapshot_done, seconds=180, what="the snapshot", logs=stack.logs)
    assert [row[1] for row in snapshots] == ["done"], snapshots
    (snapshot_id, _, data_file) = snapshots[0]
    assert data_file in local_s3.keys(bucket, "snapshots/")
    assert "snapshot_compute_task[" in stack.log("worker2")
    assert "snapshot_compute_task[" not in stack.log("worker1")

    s3 = local_s3.client()
    for name, base in web.items():
        for url in sorted(media_urls):
            key = "outputs/" + url.rsplit("/", 1)[1]
            whole = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            status, headers, body = get(base + url, {"Range": "bytes=10-99"})
            assert (status, body) == (206, whole[10:100]), (name, url, status)
            assert headers["Content-Type"] == "image/png"
            assert headers["Content-Range"] == f"bytes 10-99/{len(whole)}"
            leaked = " ".join(f"{k}: {v}" for k, v in headers.items()).lower()
            assert "amz" not in leaked and bucket not in leaked, (name, headers)
            assert get(base + url)[2] == whole
        status, _, board = get(f"{base}/leaderboard/image/")
        assert status == 200 and all(
            display.encode() in board for display in ("Painter One", "Painter Two", "Painter Three")
        ), name
        status, _, replicates = get(f"{base}/api/v1/snapshots/{snapshot_id}/replicates.csv")
        assert status == 200 and len(replicates.decode().strip().splitlines()) == 101, name
        status, _, body = get(f"{base}/api/v1/frontier/?modality=image&mode=current")
        frontier = json.loads(body)
        assert status == 200, (name, frontier)
        assert not any("cannot be read" in note for note in frontier["notes"]), frontier["notes"]
        intervals = [row for row in frontier["rows"] if row["gap_ci_low"] is not None]
        assert intervals, frontier
        for row in intervals:
            assert row["gap_ci_low"] <= row["gap"] <= row["gap_ci_high"], row
        status, _, page = get(f"{base}/frontier/?modality=image&mode=current")
        assert status == 200, name

    # Nothing any node needed was on another's disk: no node kept a media file of its own.
    for node in nodes.values():
        assert node.media_files() == [], (node.name, node.media_files())
