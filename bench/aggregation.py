"""Snapshot refresh at scale: the counts of a scope with N votes (K models), full and
incremental, on SQLite and PostgreSQL, each in a fresh database.

1. N votes are written straight in SQL (imported-style rows over K models, spread over a year);
   a first snapshot is computed (a full count).
2. ``--new`` votes are cast and ``--exclude`` old votes excluded (and one re-included).
3. The refresh's snapshot is computed: its counts start from the first snapshot's
   (``aggregate_seconds``), then the fit (``fit_seconds``). Beside it, in the same run, the
   reference: the full count of the same snapshot (``count_all``), whose fingerprint must
   be the same.

    python -m bench.aggregation --votes 5000000                      # both databases
    python -m bench.aggregation --votes 1000000 --backends postgres --rounds 0

PostgreSQL: ``--postgres-url postgres://postgres@127.0.0.1:5432/`` (a database
``bench_aggregation_<pid>`` is created and dropped).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

START = datetime(2024, 1, 1, tzinfo=UTC)
YEAR_SECONDS = 365 * 86400


def _fill_votes(n_votes: int, n_models: int, model_ids: list[int]) -> None:
    """N imported votes in one statement per database, drawn by a hash of the row number
    (so both databases hold the same votes)."""
    from django.db import connection

    first, last = min(model_ids), max(model_ids)
    assert last - first + 1 == n_models
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                INSERT INTO arena_vote (source, external_id, outcome, count, voter_key, ip_hash,
                    created_at, excluded, exclusion_reason, modality, model_a_id, model_b_id,
                    category, language)
                SELECT 'bench', '', (ARRAY['a','b','tie','both_bad'])[1 + (i * 7 %% 4)], 1, '',
                    '', %s::timestamptz + (i::bigint * %s / %s) * interval '1 second', false, '',
                    'text', %s + (i * 31 %% %s),
                    %s + ((i * 31 %% %s) + 1 + i * 17 %% (%s - 1)) %% %s,
                    '', ''
                FROM generate_series(1, %s) AS i
                """,
                [START, YEAR_SECONDS, n_votes, first, n_models, first, n_models, n_models]
                + [n_models, n_votes],
            )
        else:
            cursor.execute(
                """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s)
                INSERT INTO arena_vote (source, external_id, outcome, count, voter_key, ip_hash,
                    created_at, excluded, exclusion_reason, modality, model_a_id, model_b_id,
                    category, language)
                SELECT 'bench', '', CASE i * 7 % 4 WHEN 0 THEN 'a' WHEN 1 THEN 'b'
                    WHEN 2 THEN 'tie' ELSE 'both_bad' END, 1, '', '',
                    strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s, '+' || (i * %s / %s) || ' seconds'),
                    0, '', 'text', %s + (i * 31 %% %s),
                    %s + ((i * 31 %% %s) + 1 + i * 17 %% (%s - 1)) %% %s, '', ''
                FROM n
                """,
                [n_votes, START.strftime("%Y-%m-%d %H:%M:%S"), YEAR_SECONDS, n_votes, first]
                + [n_models, first, n_models, n_models, n_models],
            )


def run_backend(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from arena.models import AIModel, Lab, Vote
    from ranking.aggregation import count_all, fingerprint_of
    from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request

    call_command("migrate", verbosity=0)
    lab = Lab.objects.create(name="Bench", country="US")
    AIModel.objects.bulk_create(
        AIModel(key=f"model-{i:04d}", display_name=f"M{i}", lab=lab, modalities=["text"])
        for i in range(args.models)
    )
    ids = sorted(AIModel.objects.values_list("id", flat=True))
    started = time.perf_counter()
    _fill_votes(args.votes, args.models, ids)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    filled = time.perf_counter() - started

    def compute(**spec):
        snapshot, _ = snapshot_request(
            spec=SnapshotSpec(modality="text", rounds=args.rounds, anchor=None, **spec)
        )
        return snapshot_compute(snapshot_id=snapshot.pk)

    first = compute()
    old = list(Vote.objects.order_by("id").values_list("id", flat=True)[: args.exclude + 1])
    Vote.objects.filter(id__in=old[:-1]).update(excluded=True, exclusion_reason="flagged_voter")
    Vote.objects.bulk_create(
        Vote(
            source="bench-new",
            outcome="a",
            modality="text",
            model_a_id=ids[i % len(ids)],
            model_b_id=ids[(i + 1) % len(ids)],
        )
        for i in range(args.new)
    )
    second = compute()
    assert second.counted_from_id == first.pk, "the refresh did not start from the first counts"
    started = time.perf_counter()
    full = count_all(second)
    full_seconds = time.perf_counter() - started
    same = fingerprint_of(full) == second.fingerprint
    print(
        f"| {connection.vendor} | {args.votes:,} | {filled:.0f} | {first.aggregate_seconds:.2f} | "
        f"{second.aggregate_seconds:.3f} | {full_seconds:.2f} | "
        f"{second.aggregate_seconds / full_seconds:.3f} | {second.fit_seconds:.2f} | "
        f"{'same' if same else 'DIFFERENT'} |",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=5_000_000)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--exclude", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.backend:
        run_backend(args)
        return
    print(
        f"K={args.models}, {args.new} new votes, {args.exclude} exclusions; load average "
        f"{os.getloadavg()[0]:.1f} at start\n"
    )
    print(
        "| database | votes | fill s | first (full) count s | refresh count s | "
        "full count s (reference) | ratio | refresh fit s | fingerprint |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="bench-aggregation-") as folder:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "ARENA_VAR_DIR": folder,
            }
            drop = None
            if backend == "sqlite":
                env["DATABASE_URL"] = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            else:
                import psycopg

                name = f"bench_aggregation_{os.getpid()}"
                with psycopg.connect(args.postgres_url + "postgres", autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {name}")
                    admin.execute(f"CREATE DATABASE {name}")
                env["DATABASE_URL"] = args.postgres_url + name

                def drop(name=name):
                    with psycopg.connect(args.postgres_url + "postgres", autocommit=True) as a:
                        a.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

            try:
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.aggregation",
                        "--backend",
                        backend,
                        *(argv if argv is not None else sys.argv[1:]),
                    ],
                    env=env,
                    check=True,
                )
            finally:
                if drop:
                    drop()
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
