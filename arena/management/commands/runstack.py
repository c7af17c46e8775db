"""Start the web server (gunicorn), a Celery worker (fits, imports), a Celery housekeeper
(heartbeat, sweeps, pruning: its own queue, never behind fits) and Celery beat as one
foreground command.

Each runs in its own process (and process group); their output is interleaved with a name
prefix. Ctrl-C (or SIGTERM) stops all four: SIGTERM first, SIGKILL after a grace period.
If one of them dies, the others are stopped too and the command exits non-zero, so a broken
stack never looks half alive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

GRACE_SECONDS = 10.0

#: The web server's options: gunicorn with threaded workers, as in production, sized by
#: bench/throughput.py for SQLite's single writer (docs/performance.md, "Web throughput").
WEB_OPTIONS = ["--workers", "1", "--worker-class", "gthread", "--threads", "4", "--timeout", "60"]


def web_command(host: str, port: int, options: list[str] | None = None) -> list[str]:
    """The web server ``runstack`` starts (bench/throughput.py --embedded starts the same)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        *(WEB_OPTIONS if options is None else options),
    ]


#: How a Celery worker is started (tests start instrumented workers with another program
#: taking the same options).
CELERY_WORKER = ("-m", "celery", "-A", "config", "worker")


def worker_command(
    name: str, concurrency: int, *, housekeeping: bool = False, program=CELERY_WORKER
) -> list[str]:
    """A Celery worker named ``name@host``: one of fits and imports, or with
    ``housekeeping`` the one serving only the housekeeping queue (heartbeat, sweeps)."""
    return [
        sys.executable,
        *program,
        *(["--housekeeping"] if housekeeping else []),
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"{name}@%h",
    ]


def beat_command(schedule: str) -> list[str]:
    """Celery beat, its schedule state in the file ``schedule``."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "--loglevel",
        "INFO",
        "--schedule",
        schedule,
    ]


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None


class Command(BaseCommand):
    help = "Run web + Celery worker + housekeeper + beat in the foreground (Ctrl-C stops all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--concurrency", type=int, default=2, help="Celery worker processes (default 2)."
        )

    def handle(self, *args: object, **options: object) -> None:
        host, port = str(options["host"]), int(options["port"])
        if _port_taken(host, port):
            raise CommandError(f"{host}:{port} is already in use; pick another with PORT=...")
        children = [
            Child("web", [*web_command(host, port), "--access-logfile", "-"]),
            Child("worker", worker_command("worker", int(options["concurrency"]))),
            Child("housekeeper", worker_command("housekeeper", 1, housekeeping=True)),
            Child("beat", beat_command(settings.CELERY_BEAT_SCHEDULE_FILENAME)),
        ]
        stopping = threading.Event()

        def request_stop(signum: int, frame: object) -> None:
            stopping.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        self._start(children)
        url = f"http://{'localhost' if host in {'127.0.0.1', '0.0.0.0'} else host}:{port}/"
        announced = False
        exit_code = 0
        try:
            while not stopping.is_set():
                dead = [child for child in children if child.process.poll() is not None]
                if dead:
                    self.stderr.write(
                        f"{dead[0].name} exited with code {dead[0].process.returncode}; "
                        "stopping the others."
                    )
                    exit_code = 1
                    break
                if not announced and _port_taken(host, port):
                    announced = True
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"\n  Arena is running at {url}  (admin: {url}admin/, "
                            f"health: {url}healthz)\n  Press Ctrl-C to stop them all.\n"
                        )
                    )
                stopping.wait(0.2)
        finally:
            self._stop(children)
        if exit_code:
            raise SystemExit(exit_code)
        self.stdout.write("Stopped web, workers and beat.")

    def _start(self, children: list[Child]) -> None:
        environment = os.environ | {"PYTHONUNBUFFERED": "1"}
        width = max(len(child.name) for child in children)
        for child in children:
            # A session of its own: the terminal's Ctrl-C reaches only us, and we stop the
            # children ourselves; only a child that ignores SIGTERM gets its group killed.
            child.process = subprocess.Popen(
                child.argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=environment,
                text=True,
                bufsize=1,
            )
            threading.Thread(
                target=self._relay, args=(child, child.name.ljust(width)), daemon=True
            ).start()

    def _relay(self, child: Child, label: str) -> None:
        for line in child.process.stdout:
            self.stdout.write(f"{label} | {line.rstrip()}")

    def _stop(self, children: list[Child]) -> None:
        running = [c for c in children if c.process and c.process.poll() is None]
        for child in running:
            # The main process only: Celery's warm shutdown stops its own pool children.
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in running:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(
                    f"{child.name} did not stop in {GRACE_SECONDS:.0f} s; killing it."
                )
                _signal_group(child.process, signal.SIGKILL)
                child.process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host if host != "0.0.0.0" else "127.0.0.1", port)) == 0
