"""A real Celery worker whose fits stop at a gate: `python -m tests.stack.gated_worker ARGS`.

It runs `celery -A config worker ARGS` with one change made before the pool forks: a fit
claims its snapshot as usual (the row turns `running`, its lease renewed by the worker),
writes a file `fit-<snapshot id>-<pid of the pool process>` into the folder named by
``ARENA_TEST_FIT_GATE``, and waits there until a file `open` appears in that folder; then it
computes as usual. A test can kill the worker (or its pool process) mid-fit, or hold its
slots, at a moment it knows, whatever the machine's load.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import django


def gated(compute):
    def wait_at_the_gate(snapshot):
        """Replaces ranking.services._compute: ``snapshot`` is the claimed RatingSnapshot."""
        gate = Path(os.environ["ARENA_TEST_FIT_GATE"])
        (gate / f"fit-{snapshot.pk}-{os.getpid()}").write_text("")
        while not (gate / "open").exists():
            time.sleep(0.2)
        return compute(snapshot)

    return wait_at_the_gate


def main() -> None:
    django.setup()
    from celery.__main__ import main as celery_main

    import ranking.services

    ranking.services._compute = gated(ranking.services._compute)
    sys.argv = ["celery", "-A", "config", "worker", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
