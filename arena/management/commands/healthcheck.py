from __future__ import annotations

import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.health import probe_host


class Command(BaseCommand):
    help = (
        "Exit 0 when the web server's /healthz answers 200: the container health check. The "
        "request names a host of ALLOWED_HOSTS, as a browser would, so production's host "
        "validation accepts it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/healthz")
        parser.add_argument("--timeout", type=float, default=3.0, help="seconds")

    def handle(self, *args: object, url: str, timeout: float, **options: object) -> None:
        host = probe_host(settings.ALLOWED_HOSTS)
        request = urllib.request.Request(url, headers={"Host": host})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            raise CommandError(f"{url} did not answer: {error}") from error
        if status != 200:
            raise CommandError(f"{url} answered {status} (asked as host {host})")
        self.stdout.write(f"{url} answered 200 (asked as host {host})")
