"""A real Celery worker whose fits stop at a gate: `python -m tests.stack.gated_worker ARGS`.

It runs `celery -A config worker ARGS` with one change made before the pool forks: a fit
claims its snapshot as usual (the row turns `running`), writes the snapshot id to the file
named by ``ARENA_TEST_FIT_GATE``, and then waits there until the process is killed. A test
can kill it mid-fit at a moment it knows, whatever the machine's load.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import django


def _wait_at_the_gate(snapshot) -> None:
    Path(os.environ["ARENA_TEST_FIT_GATE"]).write_text(str(snapshot.pk))
    while True:
        time.sleep(60)


def main() -> None:
    django.setup()
    from celery.__main__ import main as celery_main

    import ranking.services

    ranking.services._compute = _wait_at_the_gate
    sys.argv = ["celery", "-A", "config", "worker", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
