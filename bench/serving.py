"""What serving one battle costs in process, at the demo's size and at real size, on
PostgreSQL, with what the worker's plan refresh costs beside it.

    python -m bench.serving [--postgres postgres://postgres@127.0.0.1:5432]
                            [--models 200] [--votes 5000000] [--calls 1000]

Two throwaway databases (``bench_serving_demo``, ``bench_serving_big``; ``--database-prefix``
changes the ``bench_serving_``) are created and
dropped: the demo (``seed_demo``: 51 models, 27,750 votes), and ``--models`` models answering
a 10-prompt text set with ``--votes`` votes between them. Each scenario runs in its own
process and reports ``battle_create`` per call (p50, p99, mean; processor time, which the
machine's load does not inflate) and queries per call; the
demo row is the reference the big row is read against (ratio), as both share the machine's
load of the moment. The worker side: a full recount of the plan and an incremental refresh
after 1,000 new votes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

SCENARIOS = ("demo", "big")


def _admin(postgres: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def populate_big(models: int, votes: int) -> None:
    from django.db import connection

    from arena.models import AIModel, Lab, Output, Prompt, PromptSet

    lab = Lab.objects.create(name="Bench lab", country="US")
    created = AIModel.objects.bulk_create(
        AIModel(key=f"bench-{n:04d}", display_name=f"Bench {n}", lab=lab, modalities=["text"])
        for n in range(models)
    )
    prompt_set = PromptSet.objects.create(name="Bench set", modality="text")
    prompts = Prompt.objects.bulk_create(
        Prompt(prompt_set=prompt_set, external_id=f"p{n}", text=f"Prompt {n}?") for n in range(10)
    )
    Output.objects.bulk_create(
        Output(
            prompt=p,
            model=m,
            modality="text",
            text=f"{m.key} {p.external_id}",
            checksum=f"{m.pk}-{p.pk}",
        )
        for p in prompts
        for m in created
    )
    first = created[0].pk
    with connection.cursor() as cursor:  # random pairs, outcomes and days, in one statement
        cursor.execute(
            """
            INSERT INTO arena_vote (source, external_id, outcome, count, voter_key, ip_hash,
                created_at, excluded, exclusion_reason, modality, model_a_id, model_b_id,
                category, language)
            SELECT 'bench', '', (ARRAY['a','b','tie','both_bad'])[1 + floor(random() * 4)::int],
                1, '', '', now() - random() * interval '400 days', false, '', 'text',
                %(first)s + a, %(first)s + (a + 1 + floor(random() * (%(k)s - 1))::int) %% %(k)s,
                '', ''
            FROM (SELECT floor(random() * %(k)s)::int AS a FROM generate_series(1, %(n)s)) s
            """,
            {"first": first, "k": models, "n": votes},
        )
        cursor.execute("ANALYZE arena_vote")


def _add_votes(count: int) -> None:
    from arena.models import AIModel, Vote

    a, b = AIModel.objects.order_by("id").values_list("id", flat=True)[:2]
    Vote.objects.bulk_create(
        Vote(source="bench", outcome="a", modality="text", model_a_id=a, model_b_id=b)
        for _ in range(count)
    )


def _scenario(name: str, models: int, votes: int, calls: int) -> dict:
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from arena.demo import demo_seed
    from arena.models import AIModel, Vote
    from arena.services import battle_create
    from arena.serving_plan import serving_plan_refresh

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if name == "demo":
        demo_seed()
    else:
        populate_big(models, votes)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    serving_plan_refresh("text", recount=True)
    recount = time.perf_counter() - started
    _add_votes(1000)
    started = time.perf_counter()
    serving_plan_refresh("text")
    incremental = time.perf_counter() - started
    rng = np.random.default_rng(1)
    for n in range(20):  # warm: the plan is loaded, connections open
        battle_create(voter_key=f"warm{n}", modality="text", rng=rng)
    seconds, queries = [], []
    cpu_started = time.process_time()
    for n in range(calls):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            battle_create(voter_key=f"voter{n}", modality="text", rng=rng)
            seconds.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
    cpu_ms = (time.process_time() - cpu_started) / calls * 1000
    ms = np.array(seconds) * 1000
    return {
        "scenario": name,
        "models": AIModel.objects.filter(outputs__isnull=False).distinct().count(),
        "votes": Vote.objects.filter(modality="text").count(),
        "load_s": round(loaded, 1),
        "recount_s": round(recount, 3),
        "incremental_s": round(incremental, 3),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "mean_ms": round(float(ms.mean()), 2),
        "cpu_ms": round(cpu_ms, 2),
        "queries_max": max(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--votes", type=int, default=5_000_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--database-prefix", default="bench_serving_")
    parser.add_argument("--scenario", choices=SCENARIOS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        print(json.dumps(_scenario(args.scenario, args.models, args.votes, args.calls)))
        return
    rows = []
    for name in SCENARIOS:
        database = f"{args.database_prefix}{name}"
        _admin(args.postgres, f"DROP DATABASE IF EXISTS {database}")
        _admin(args.postgres, f"CREATE DATABASE {database}")
        scratch = tempfile.TemporaryDirectory(prefix="bench-serving-")
        env = os.environ | {
            "DATABASE_URL": f"{args.postgres}/{database}",
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "ARENA_VAR_DIR": scratch.name,
            "MEDIA_ROOT": f"{scratch.name}/media",
        }
        try:
            print(f"{name}: loading and measuring…", file=sys.stderr, flush=True)
            out = subprocess.run(
                [sys.executable, "-m", "bench.serving", "--scenario", name]
                + [f"--models={args.models}", f"--votes={args.votes}", f"--calls={args.calls}"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            _admin(args.postgres, f"DROP DATABASE IF EXISTS {database}")
            scratch.cleanup()
    demo = rows[0]
    print(
        f"{'scenario':<8} {'models':>6} {'votes':>10} {'p50 ms':>7} {'p99 ms':>7} {'mean ms':>8}"
        f" {'÷ demo':>7} {'cpu ms':>6} {'queries':>7} {'recount s':>9} {'+1k votes s':>11}"
    )
    for row in rows:
        print(
            f"{row['scenario']:<8} {row['models']:>6} {row['votes']:>10,} {row['p50_ms']:>7}"
            f" {row['p99_ms']:>7} {row['mean_ms']:>8} {row['mean_ms'] / demo['mean_ms']:>7.2f}"
            f" {row['cpu_ms']:>6}"
            f" {row['queries_max']:>7} {row['recount_s']:>9} {row['incremental_s']:>11}"
        )


if __name__ == "__main__":
    main()
