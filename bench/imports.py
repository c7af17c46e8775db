"""Vote import at scale: ``manage.py import_votes`` of a generated Chatbot Arena
``clean_battle`` log (the real field layout, about 400 bytes a battle), on SQLite and
PostgreSQL, each in a fresh database, with wall time, votes a second and the peak RSS of
the importing process. Beside it, in the same run:

* ``read only``: the same file parsed by ijson with nothing else done (the ceiling of any
  importer that reads the file);
* ``before`` (``--before TREE``): the importer of another checkout (e.g. ``/work/main``)
  on the same file and database kind, to compare with the previous code.

    python -m bench.imports --battles 5000000 --file /tmp/cb5m.json   # ~2.4 GB, kept for reuse
    python -m bench.imports --battles 250000 --before /work/main --backends postgres

PostgreSQL: ``--postgres-url postgres://postgres@127.0.0.1:5432/`` (a database named
``<--database-prefix>_<pid>``, by default ``bench_imports_<pid>``, is created and dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WINNERS = ("model_a", "model_b", "tie", "tie (bothbad)")
LANGUAGES = ("English", "Chinese", "German", "Spanish", "French", "Russian", "Japanese")


def battle_log(path: Path, battles: int, *, models: int = 200, seed: int = 0) -> int:
    """Write ``battles`` battles as one JSON array with the fields of LMSYS's
    ``clean_battle_*.json`` (question_id, model_a, model_b, winner, judge, conv_metadata,
    is_code, is_refusal, dedup_tag, category_tag, language, anony, turn, tstamp); returns
    the file size."""
    rng = random.Random(seed)
    names = [f"model-{i:03d}" for i in range(models)]
    start = 1682351591.0
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for n in range(battles):
            a, b = rng.sample(names, 2)
            battle = {
                "question_id": f"{rng.getrandbits(128):032x}",
                "model_a": a,
                "model_b": b,
                "winner": WINNERS[rng.randrange(4)],
                "judge": f"arena_user_{rng.randrange(1_000_000)}",
                "conv_metadata": {
                    "sum_user_tokens": rng.randrange(1, 500),
                    "sum_assistant_a_tokens": rng.randrange(1, 2000),
                    "sum_assistant_b_tokens": rng.randrange(1, 2000),
                    "turns": 1,
                },
                "is_code": rng.random() < 0.2,
                "is_refusal": False,
                "dedup_tag": {"high_freq": False, "sampled": True},
                "category_tag": {"math_v0.1": {"math": False}},
                "language": LANGUAGES[rng.randrange(len(LANGUAGES))],
                "anony": True,
                "turn": 1,
                "tstamp": round(start + n * 0.5 + rng.random(), 4),
            }
            handle.write(("," if n else "") + json.dumps(battle))
        handle.write("]")
    return path.stat().st_size


def _run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str, float]:
    """(wall seconds, peak RSS in MB, stdout, processor seconds: user + system) of a child
    process (the database server's work is not in the processor seconds)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status:
        raise SystemExit(f"{' '.join(command)} failed ({status}): {out[-2000:]}")
    return wall, usage.ru_maxrss / 1024, out, usage.ru_utime + usage.ru_stime


class _ServerClock(threading.Thread):
    """The processor seconds of the PostgreSQL backends serving database ``name`` (same
    machine), read from ``/proc`` every 0.2 s while they live: on a loaded machine the
    database's work, unlike wall time, does not depend on what else runs."""

    def __init__(self, postgres_url: str, name: str) -> None:
        super().__init__(daemon=True)
        self.url, self.name, self.ticks = postgres_url, name, {}
        self.done = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url + "postgres", autocommit=True) as admin:
            while not self.done.wait(0.2):
                rows = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.name]
                )
                for (pid,) in rows.fetchall():
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime

    def seconds(self) -> float:
        self.done.set()
        self.join()
        return sum(self.ticks.values()) / os.sysconf("SC_CLK_TCK")


def _database(backend: str, args: argparse.Namespace, folder: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite3'}", lambda: None
    import psycopg

    postgres_url, name = args.postgres_url, f"{args.database_prefix}_{os.getpid()}"
    with psycopg.connect(postgres_url + "postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(postgres_url + "postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return postgres_url + name, drop


def import_once(tree: Path, backend: str, log: Path, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as folder:
        url, drop = _database(backend, args, Path(folder))
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "PYTHONPATH": str(tree),
        }
        try:
            _run([sys.executable, "manage.py", "migrate", "-v", "0"], env, tree)
            command = [
                sys.executable,
                "manage.py",
                "import_votes",
                str(log),
                "--format",
                "clean_battle",
                "--modality",
                "text",
                "--source",
                "bench",
                "--create-models",
            ]
            clock = _ServerClock(args.postgres_url, url.rsplit("/", 1)[1])
            if backend == "postgres":
                clock.start()
            wall, rss, out, cpu = _run(command, env, tree)
            server = clock.seconds() if backend == "postgres" else None
            again = _run(command, env, tree)[0] if args.again else None
        finally:
            drop()
    return {"wall": wall, "rss": rss, "cpu": cpu, "server": server, "again": again}


READ_ONLY = """
import sys, ijson
n = 0
with open(sys.argv[1], "rb") as f:
    for battle in ijson.items(f, "item", use_float=True):
        n += 1
print(n)
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--battles", type=int, default=5_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument(
        "--database-prefix", default="bench_imports", help="PostgreSQL: <prefix>_<pid>"
    )
    parser.add_argument("--file", type=Path, help="reuse (or keep) the generated log here")
    parser.add_argument("--before", type=Path, help="another checkout whose importer to time")
    parser.add_argument("--before-first", action="store_true", help="time --before first")
    parser.add_argument("--again", action="store_true", help="also time a re-import")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-log-") as folder:
        log = args.file or Path(folder) / "clean_battle.json"
        if not log.exists():
            started = time.perf_counter()
            size = battle_log(log, args.battles)
            print(
                f"generated {args.battles:,} battles, {size / 1e6:,.0f} MB "
                f"in {time.perf_counter() - started:.0f} s"
            )
        size = log.stat().st_size
        wall, rss, out, cpu = _run(
            [sys.executable, "-c", READ_ONLY, str(log)], dict(os.environ), ROOT
        )
        battles = int(out)
        print(
            f"\n{battles:,} battles, {size / 1e6:,.0f} MB; load average "
            f"{os.getloadavg()[0]:.1f} at start\n"
        )
        print(
            "| importer | database | wall s | votes/s | peak RSS MB | CPU s | "
            "database CPU s | re-import s |"
        )
        print("|---|---|---|---|---|---|---|---|")
        print(
            f"| read only (ijson, reference) | - | {wall:.1f} | {battles / wall:,.0f} | "
            f"{rss:.0f} | {cpu:.1f} | | |"
        )
        trees = [("this tree", ROOT)] + ([("before", args.before)] if args.before else [])
        if args.before_first:  # to alternate the order between runs on a loaded machine
            trees.reverse()
        for backend in args.backends.split(","):
            for label, tree in trees:
                result = import_once(tree, backend, log, args)
                again = "" if result["again"] is None else f"{result['again']:.1f}"
                server = "" if result["server"] is None else f"{result['server']:.1f}"
                print(
                    f"| {label} | {backend} | {result['wall']:.1f} | "
                    f"{battles / result['wall']:,.0f} | {result['rss']:.0f} | "
                    f"{result['cpu']:.1f} | {server} | {again} |",
                    flush=True,
                )
        print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
