"""Helpers for tests that start real processes."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: (status, headers, body), also for 3xx-5xx."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(
    condition: Callable[[], object], *, seconds: float, what: str, logs: list[Path] = ()
) -> object:
    deadline = time.monotonic() + seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except OSError as error:
            last_error = error
        time.sleep(0.5)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})\n{tails}")


def healthz(base_url: str) -> dict | None:
    status, _, body = get(f"{base_url}/healthz")
    return json.loads(body) | {"http_status": status}


def stop(processes: list[subprocess.Popen], *, seconds: float = 30) -> list[int]:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=seconds))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
    return codes
