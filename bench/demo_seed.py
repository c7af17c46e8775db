"""What ``make run``'s first start spends on the demo: ``manage.py seed_demo --if-empty`` in
a fresh SQLite database (migrations applied first, not timed), wall time and CPU time of
the process, and the share of its drawn media. Beside it, in the same run:

* ``media``: the demo's pictures and clips drawn and encoded (``demo_media_file``) and then
  normalised as the import path does (``media_normalise``), per modality, CPU time;
* ``before`` (``--before TREE``): the seed of another checkout (e.g. ``/work/main``) in the
  same kind of fresh database, alternated with this tree's run ``--repeat`` times.

    python -m bench.demo_seed
    python -m bench.demo_seed --before /work/main --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEDIA_COST = """
import resource
from arena.demo import DEMO_IMAGE_STRENGTHS, DEMO_SCENES, DEMO_VIDEO_STRENGTHS, demo_media_file
from arena.media import MediaLimits, media_normalise

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

for modality, strengths in (("image", DEMO_IMAGE_STRENGTHS), ("video", DEMO_VIDEO_STRENGTHS)):
    start = cpu()
    scenes = DEMO_SCENES[modality]
    files = [demo_media_file(modality, s.prompt_id, key) for s in scenes for key in strengths]
    drawn = cpu()
    for data in files:
        media_normalise(data, modality=modality, limits=MediaLimits())
    print(modality, len(files), drawn - start, cpu() - drawn, sum(map(len, files)))
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def seed(tree: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``seed_demo --if-empty`` in a fresh database, and its output."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-seed-") as folder:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
            "MEDIA_ROOT": f"{folder}/media",
        }
        manage = [sys.executable, str(tree / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput"], env=env, cwd=tree, check=True,
                       capture_output=True)  # fmt: skip
        cpu, start = children_cpu(), time.perf_counter()
        result = subprocess.run([*manage, "seed_demo", "--if-empty"], env=env, cwd=tree,
                                check=True, capture_output=True, text=True)  # fmt: skip
        return time.perf_counter() - start, children_cpu() - cpu, result.stdout.strip()


def media_cost() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-demo-media-") as folder:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3"}
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "shell", "-c", MEDIA_COST],
            env=env, cwd=ROOT, check=True, capture_output=True, text=True,
        )  # fmt: skip
    return [line for line in result.stdout.splitlines() if line.split(" ")[0] in ("image", "video")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout to seed beside this one")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    trees = [("this tree", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in trees}
    for _ in range(args.repeat):
        for name, tree in trees:
            wall, cpu, output = seed(tree)
            runs[name].append((wall, cpu))
            print(
                f"{name:10} seed_demo --if-empty: {wall:6.1f} s wall, {cpu:5.1f} s CPU  ({output})"
            )
    cpu_here = min(cpu for _, cpu in runs["this tree"])
    if args.before:
        cpu_before = min(cpu for _, cpu in runs["before"])
        print(f"CPU, least of {args.repeat}: {cpu_here:.1f} s here, {cpu_before:.1f} s before "
              f"(x{cpu_here / cpu_before:.2f})")  # fmt: skip
    total = 0.0
    for line in media_cost():
        modality, count, drawn, normalised, size = line.split(" ")
        total += float(drawn) + float(normalised)
        print(f"media     {modality}: {count} files, {int(size) / 1e6:.1f} MB drawn; "
              f"{float(drawn):.1f} s CPU drawing and encoding, {float(normalised):.1f} s "
              "normalising")  # fmt: skip
    print(f"media CPU {total:.1f} s = {total / cpu_here:.0%} of the seed's CPU here")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
