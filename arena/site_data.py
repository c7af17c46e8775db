"""What every page and download says about the data: whether the installation holds demo
data (a banner on every page, "demo" in every download), and the operator's data licence.

The demo flag is one cached boolean (``DEMO_FLAG_SECONDS``), not a query per request: the
demo comes and goes with ``seed_demo`` (which forgets the flag) or by deleting its votes and
sets (seen within a minute)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from arena.cache import cache_get_or_none, cache_set_quietly
from arena.models import PromptSet, Vote

NOTICE_COOKIE = "arena_notice"
DEMO_FLAG_KEY = "arena:demo-data-present"
DEMO_FLAG_SECONDS = 60


def demo_data_present() -> bool:
    """Whether demo prompt sets or demo votes are stored (cached). The sets first: a small
    table, and the demo always has them."""
    present = cache_get_or_none(DEMO_FLAG_KEY)
    if present is None:
        present = (
            PromptSet.objects.filter(source=PromptSet.Source.DEMO).exists()
            or Vote.objects.filter(source=Vote.SOURCE_DEMO).exists()
        )
        cache_set_quietly(DEMO_FLAG_KEY, present, timeout=DEMO_FLAG_SECONDS)
    return present


def demo_flag_forget() -> None:
    """After the demo was loaded or removed: the next request looks again."""
    cache_set_quietly(DEMO_FLAG_KEY, None, timeout=1)


def download_name(stem: str, extension: str) -> str:
    """A download's file name; ``arena-demo-...`` while demo data is present."""
    if demo_data_present() and stem.startswith("arena-"):
        stem = "arena-demo-" + stem.removeprefix("arena-")
    return f"{stem}.{extension}"


def attachment(response, stem: str, extension: str):
    """Mark ``response`` as a file to save, named by :func:`download_name`."""
    response["Content-Disposition"] = f'attachment; filename="{download_name(stem, extension)}"'
    return response


def licence_line() -> str:
    """The line under every downloadable figure: the licence, and the demo's warning."""
    if demo_data_present():
        return f"{settings.ARENA_DATA_LICENCE} · DEMO DATA: simulated votes, not real results"
    return settings.ARENA_DATA_LICENCE


def notice_seen(request: HttpRequest) -> bool:
    """Whether this browser dismissed the first-visit notice of the current terms."""
    return request.COOKIES.get(NOTICE_COOKIE) == settings.ARENA_NOTICE_VERSION


def site_data(request: HttpRequest) -> dict:
    """Context processor: the banner's flag, the notice's, and the licence, for base.html."""
    return {
        "demo_data": demo_data_present(),
        "notice_seen": notice_seen(request),
        "data_licence": settings.ARENA_DATA_LICENCE,
        "data_licence_url": settings.ARENA_DATA_LICENCE_URL,
    }
