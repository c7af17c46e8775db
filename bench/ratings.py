"""Benchmark: our engine against reference implementations, in one process, on the same data.

    python -m bench.ratings [--quick] [--reference-rounds 20] [--sizes 50,129,200,1000]
    python -m bench.ratings --scaling [--plot docs/img/scaling.png]
    python -m bench.ratings --cli --sizes 200 --runs 3     (the whole command against 94302ae)
    python -m bench.ratings --engine [--rounds 300 --runs 3 --k1000]

For each size it fits and bootstraps (1,000 rounds) with

* ``engine``: :func:`ranking.stats.rate` (multinomial and Poisson resampling), and the same with
  numpy's own samplers (``Generator.multinomial``, ``Generator.poisson``) in place of the
  engine's table-guided inversion sampler (``numpy draws``), to show what that sampler buys;
* ``arena-lbfgs``: Chatbot Arena's published method, re-implemented here: every round resamples
  the individual votes with replacement (``df.sample(frac=1, replace=True)``), tabulates them
  and refits a logistic regression by L-BFGS from scratch (their notebook uses scikit-learn's
  ``LogisticRegression(fit_intercept=False)``, which is L-BFGS; we call scipy's directly);
* ``choix``: ``choix.ilsr_pairwise_dense`` (Maystre and Grossglauser 2015) per round on the
  resampled win matrix.

References are timed on ``--reference-rounds`` rounds plus the full-data fit and extrapolated
linearly to 1,000 rounds (stated in the output). Peak memory is the tracemalloc peak (numpy
reports its buffers to tracemalloc) of a separate traced call (one round for the references),
data excluded; timings are never traced (tracing slows numpy code about twofold). The score
difference is the largest absolute difference of the full-data scores, in Elo points, with the
same level convention, against the arena-lbfgs reference.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import math
import os
import platform
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import numpy as np
import scipy.optimize
from threadpoolctl import threadpool_limits

from bench.synthetic import synthetic_arena
from ranking.stats import (
    PairCounts,
    bootstrap,
    fit_bradley_terry,
    rate,
    resample,
    to_elo_scale,
)
from ranking.stats.bradley_terry import Design
from ranking.stats.io import read_pair_counts_csv
from ranking.stats.separation import ReplicateCheck, identify

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ARENA_SHARED_DATA", ROOT.parent / "shared" / "data"))
LMSYS = DATA / "lmsys_2024_08" / "pair_counts_20240814.csv"
ELO = 400 / math.log(10)
ROUNDS = 1000


@dataclass(frozen=True)
class Measure:
    method: str
    seconds: float
    peak_mb: float
    scores: np.ndarray
    note: str = ""


def measured(
    function: Callable[[], np.ndarray],
    memory_function: Callable[[], object] | None = None,
    repeat: int = 1,
) -> tuple[float, float, np.ndarray]:
    """Median wall time of ``repeat`` untraced calls, then the tracemalloc peak (MB) of a
    separate traced call (tracing slows numpy-heavy code about twofold)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        scores = function()
        times.append(time.perf_counter() - start)
    seconds = float(np.median(times))
    tracemalloc.start()
    (memory_function or function)()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, scores


@contextlib.contextmanager
def numpy_draws() -> Iterator[None]:
    """The engine with numpy's samplers instead of its inversion sampler: the resampling code
    takes numpy's path (``Generator.poisson``, ``Generator.multinomial``) for counts that
    are not integers, so here every count is treated as not an integer."""
    not_integral = mock.Mock(return_value=False)
    with (
        mock.patch.object(bootstrap, "is_integral", not_integral),
        mock.patch.object(resample, "is_integral", not_integral),
    ):
        yield


def votes_from_counts(counts: PairCounts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Individual votes (n,) rebuilt from aggregated counts (for the per-vote reference)."""
    repeat = counts.count.astype(np.int64)
    return (
        np.repeat(counts.model_a, repeat).astype(np.int32),
        np.repeat(counts.model_b, repeat).astype(np.int32),
        np.repeat(counts.outcome, repeat),
    )


def lbfgs_fit(a: np.ndarray, b: np.ndarray, credit: np.ndarray, k: int, gtol: float) -> np.ndarray:
    """Logistic MLE by L-BFGS on the ordered (A, B) pairs of the votes; natural-log strengths."""
    key = a.astype(np.int64) * k + b
    n = np.bincount(key, minlength=k * k)
    wins = np.bincount(key, weights=credit, minlength=k * k)
    rows = np.flatnonzero(n)
    first, second, n, wins = rows // k, rows % k, n[rows].astype(float), wins[rows]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        d = theta[first] - theta[second]
        value = np.sum(n * np.logaddexp(0.0, d) - wins * d) + 0.5e-8 * theta @ theta
        r = n / (1.0 + np.exp(-d)) - wins
        grad = np.bincount(first, r, k) - np.bincount(second, r, k) + 1e-8 * theta
        return float(value), grad

    result = scipy.optimize.minimize(
        objective,
        np.zeros(k),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 10000, "gtol": gtol, "ftol": 0.0 if gtol < 1e-6 else 2.2e-9},
    )
    return result.x


def arena_lbfgs(
    votes: tuple[np.ndarray, np.ndarray, np.ndarray], k: int, rounds: int, seed: int
) -> np.ndarray:
    """Full-data fit plus ``rounds`` per-vote resampled refits; returns the full-data theta."""
    a, b, outcome = votes
    credit = np.where(outcome == 0, 1.0, np.where(outcome == 1, 0.0, 0.5))
    full = lbfgs_fit(a, b, credit, k, gtol=1e-9)
    rng = np.random.default_rng(seed)
    for _ in range(rounds):
        pick = rng.integers(0, a.size, a.size)
        lbfgs_fit(a[pick], b[pick], credit[pick], k, gtol=1e-6)
    return full


def choix_rounds(counts: PairCounts, rounds: int, seed: int) -> np.ndarray:
    import choix

    k = counts.n_models
    credit = np.where(counts.outcome == 0, 1.0, np.where(counts.outcome == 1, 0.0, 0.5))

    def win_matrix(count: np.ndarray) -> np.ndarray:
        wins = np.zeros((k, k))
        np.add.at(wins, (counts.model_a, counts.model_b), credit * count)
        np.add.at(wins, (counts.model_b, counts.model_a), (1 - credit) * count)
        return wins

    full = choix.ilsr_pairwise_dense(win_matrix(counts.count), alpha=0.0, max_iter=10000, tol=1e-12)
    rng = np.random.default_rng(seed)
    p = counts.count / counts.count.sum()
    for _ in range(rounds):
        drawn = rng.multinomial(int(counts.count.sum()), p).astype(float)
        choix.ilsr_pairwise_dense(win_matrix(drawn), alpha=1e-6, max_iter=1000, tol=1e-8)
    return full


def run_size(
    label: str,
    counts: PairCounts,
    anchor: tuple[int, float] | None,
    reference_rounds: int,
    references: tuple[str, ...],
) -> list[Measure]:
    k = counts.n_models
    # The shared 2-core VM is noisy: engine times are the median of 3 runs (1 at K=1000).
    repeat = 1 if k >= 1000 else 3
    repeat_note = f"median of {repeat} runs" if repeat > 1 else "1 run"
    results = []
    for sampler, draws in (("", contextlib.nullcontext), (", numpy draws", numpy_draws)):
        for method in ("multinomial", "poisson"):
            with draws():
                seconds, peak, scores = measured(
                    lambda method=method: (
                        rate(counts, rounds=ROUNDS, seed=0, anchor=anchor, resample=method).score
                    ),
                    repeat=repeat,
                )
            label = f"engine ({method}{sampler})"
            results.append(Measure(label, seconds, peak, scores, repeat_note))
    seconds, peak, scores = measured(
        lambda: rate(counts, anchor=anchor, interval="analytic").score, repeat=repeat
    )
    results.append(Measure("engine (analytic)", seconds, peak, scores, repeat_note))
    if "arena-lbfgs" in references:
        votes = votes_from_counts(counts)
        full_seconds, _, theta = measured(lambda: arena_lbfgs(votes, k, 0, 0))
        seconds, peak, _ = measured(
            lambda: arena_lbfgs(votes, k, reference_rounds, 0), lambda: arena_lbfgs(votes, k, 1, 0)
        )
        per_round = (seconds - full_seconds) / reference_rounds
        total = full_seconds + per_round * ROUNDS
        note = "" if reference_rounds == ROUNDS else f"extrapolated from {reference_rounds} rounds"
        results.append(
            Measure("arena-lbfgs", total, peak, to_elo_scale(theta, anchor=anchor), note)
        )
        del votes
    if "choix" in references:
        full_seconds, _, theta = measured(lambda: choix_rounds(counts, 0, 0))
        seconds, peak, _ = measured(
            lambda: choix_rounds(counts, reference_rounds, 0), lambda: choix_rounds(counts, 1, 0)
        )
        per_round = (seconds - full_seconds) / reference_rounds
        note = "" if reference_rounds == ROUNDS else f"extrapolated from {reference_rounds} rounds"
        results.append(
            Measure(
                "choix",
                full_seconds + per_round * ROUNDS,
                peak,
                to_elo_scale(theta, anchor=anchor),
                note,
            )
        )
    return results


def report(label: str, results: list[Measure]) -> None:
    reference = next((r for r in results if r.method == "arena-lbfgs"), results[-1])
    print(f"\n## {label}")
    print(
        f"{'method':34s} {'time s':>9s} {'x ref':>8s} {'peak MB':>9s} {'x ref':>7s} "
        f"{'max |Δ| pts':>12s}  note"
    )
    for r in results:
        diff = float(np.max(np.abs(r.scores - reference.scores)))
        print(
            f"{r.method:34s} {r.seconds:9.2f} {r.seconds / reference.seconds:8.4f} "
            f"{r.peak_mb:9.1f} {r.peak_mb / max(reference.peak_mb, 1e-9):7.3f} "
            f"{diff:12.5f}  {r.note}"
        )


def sizes(selected: list[int], quick: bool) -> list[tuple[str, PairCounts, tuple | None]]:
    out = []
    for k in selected:
        if k == 129:
            if not LMSYS.exists():
                print(f"(skipping K=129: {LMSYS} not found)")
                continue
            lmsys = read_pair_counts_csv(LMSYS)
            anchor = (lmsys.index("mixtral-8x7b-instruct-v0.1"), 1114.0)
            out.append(
                ("K=129, N=1.67M (LMSYS 2024-08-14, anchor mixtral=1114)", lmsys.counts, anchor)
            )
            continue
        votes = 100_000 if k == 50 else (500_000 if quick else 5_000_000)
        arena = synthetic_arena(k, votes, seed=k, keep_votes=False)
        out.append((f"K={k}, N={votes:,} (synthetic, all pairs)", arena.counts, None))
        if k == 1000:
            arena = synthetic_arena(k, votes, seed=k + 1, window=100, keep_votes=False)
            out.append((f"K={k}, N={votes:,} (synthetic, window 100)", arena.counts, None))
    return out


def scaling(plot: Path | None, k: int = 100) -> None:
    print(
        f"\n## cost against the number of votes, K={k}, fit + {ROUNDS} rounds (multinomial), "
        "median of 3 runs"
    )
    ns = [10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000]
    times, cells = [], []
    for n in ns:
        counts = synthetic_arena(k, n, seed=7, keep_votes=False).counts
        seconds, peak, _ = measured(
            lambda counts=counts: rate(counts, rounds=ROUNDS).score, repeat=3
        )
        times.append(seconds)
        cells.append(int(counts.count.size))
        print(f"N={n:>11,}  cells={counts.count.size:>7,}  {seconds:6.2f} s  peak {peak:6.1f} MB")
    if plot is not None:
        plot_scaling(ns, times, cells, plot, k)


def plot_scaling(
    ns: list[int], times: list[float], cells: list[int], plot: Path, k: int = 100
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 3.8))
    axis.plot(ns, times, "o-", label="wall time: fit + 1,000 bootstrap rounds")
    axis.set_xscale("log")
    axis.set_ylim(0, max(times) * 1.3)
    axis.set_xlabel("votes N (log scale)")
    axis.set_ylabel("wall time, s")
    axis.set_title(f"Cost follows the non-empty cells, not the votes (K={k}, 2 cores)")
    axis.grid(alpha=0.3)
    other = axis.twinx()
    other.plot(ns, cells, "s--", color="tab:gray", label="non-empty cells")
    other.set_ylim(0, max(cells) * 1.3)
    other.set_ylabel("non-empty (A, B, outcome) cells")
    lines = axis.get_legend_handles_labels()
    more = other.get_legend_handles_labels()
    axis.legend(lines[0] + more[0], lines[1] + more[1], loc="lower right", fontsize=8)
    figure.tight_layout()
    plot.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(plot, dpi=120)
    print(f"plot written to {plot}")


def pair_counts_csv(counts: PairCounts, path: Path) -> None:
    """The counts as a pair_counts file: one unordered pair a line, the lower index first."""
    a, b, outcome, count = counts.model_a, counts.model_b, counts.outcome.copy(), counts.count
    swap = a > b
    first, second = np.where(swap, b, a), np.where(swap, a, b)
    outcome[swap] = np.array([1, 0, 2, 3])[outcome[swap]]
    k = counts.n_models
    table = np.zeros((k * k, 4))
    np.add.at(table, (first * k + second, outcome), count)
    rows = np.flatnonzero(table.sum(axis=1))
    with path.open("w") as handle:
        handle.write("model_i,model_j,wins_i,wins_j,ties,ties_bothbad\n")
        for row in rows:
            i, j = divmod(int(row), k)
            wins_i, wins_j, ties, both = (int(x) for x in table[row])
            handle.write(f"m{i:04d},m{j:04d},{wins_i},{wins_j},{ties},{both}\n")


#: The engine before the "faster engine" work of issue 15 (item 3): the whole command's
#: reference, run single-threaded from this commit's files in the same run.
REFERENCE_COMMIT = "94302ae"


def reference_tree(folder: Path, commit: str = REFERENCE_COMMIT) -> Path:
    """The files of ``commit`` (``git archive``) under ``folder``; a command run there
    imports that commit's ``ranking`` and ``pairwise`` (the working directory comes first on
    ``sys.path``)."""
    import io
    import subprocess
    import tarfile

    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        check=True,
        capture_output=True,
    ).stdout
    target = folder / f"engine-{commit}"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def board(output: bytes) -> dict[str, tuple[float, float, float]]:
    """model -> (score, ci_low, ci_high) of the command's CSV board."""
    import csv
    import io

    rows = csv.DictReader(io.StringIO(output.decode()))
    return {
        row["model"]: (float(row["score"]), float(row["ci_low"]), float(row["ci_high"]))
        for row in rows
    }


def board_differences(output: bytes, reference: bytes) -> str:
    """Largest |difference| of the point scores and of the interval bounds, and the median
    interval widths, of a board against the reference's."""
    new, old = board(output), board(reference)
    models = sorted(old)
    if sorted(new) != models:
        return "DIFFERENT models"
    a = np.array([new[m] for m in models])
    b = np.array([old[m] for m in models])
    return (
        f"scores max |Δ| {np.max(np.abs(a[:, 0] - b[:, 0])):.2f}, bounds max |Δ| "
        f"{np.max(np.abs(a[:, 1:] - b[:, 1:])):.2f}, median width "
        f"{np.median(a[:, 2] - a[:, 1]):.2f} (reference {np.median(b[:, 2] - b[:, 1]):.2f})"
    )


def cli_runs(k: int, n_votes: int, runs: int, before: str | None = None) -> None:
    """The whole command (``python -m ranking.stats`` on pair counts, imports included):
    default workers and one worker, beside the reference (the engine at
    ``REFERENCE_COMMIT``, one thread), alternating, median of ``runs`` each; wall and CPU
    seconds (user + system of the process and its forked workers). ``before``: also a
    commit's command, default workers (the code before a change).

    Every command runs as an installed package would: its modules' bytecode is cached (in a
    folder of the run, whatever ``PYTHONDONTWRITEBYTECODE`` says), written by one untimed
    run of each command first."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        path = Path(folder) / "counts.csv"
        pair_counts_csv(synthetic_arena(k, n_votes, seed=k).counts, path)
        reference_root = reference_tree(Path(folder))
        command = [sys.executable, "-m", "ranking.stats", str(path), "--format-in", "pair_counts"]
        variants = {
            "default workers": ([], ROOT),
            "one worker": (["--threads", "1"], ROOT),
        }
        if before is not None:
            variants[f"before: {before}, default workers"] = (
                [],
                reference_tree(Path(folder), before),
            )
        variants |= {
            f"reference: engine at {REFERENCE_COMMIT}, one thread": (
                ["--threads", "1"],
                reference_root,
            ),
        }
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "bytecode")
        for extra, cwd in variants.values():
            subprocess.run([*command, *extra], check=True, capture_output=True, cwd=cwd, env=env)
        wall: dict[str, list[float]] = {label: [] for label in variants}
        cpu: dict[str, list[float]] = {label: [] for label in variants}
        outputs: dict[str, bytes] = {}
        load_before = os.getloadavg()[0]
        for _ in range(runs):
            for label, (extra, cwd) in variants.items():
                used = _seconds(resource.getrusage(resource.RUSAGE_CHILDREN))
                started = time.perf_counter()
                done = subprocess.run(
                    [*command, *extra], check=True, capture_output=True, cwd=cwd, env=env
                )
                wall[label].append(time.perf_counter() - started)
                cpu[label].append(_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - used)
                outputs[label] = done.stdout
    labels = list(variants)
    reference_wall = float(np.median(wall[labels[-1]]))
    reference_cpu = float(np.median(cpu[labels[-1]]))
    print(
        f"\nK = {k}, N = {n_votes:,}, {ROUNDS} rounds, whole process, bytecode cached; load "
        f"average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n"
    )
    print("| command | median wall s | runs s | x ref | median CPU s | x ref |")
    print("|---|---|---|---|---|---|")
    for label in labels:
        median, cpu_median = float(np.median(wall[label])), float(np.median(cpu[label]))
        runs_text = ", ".join(f"{v:.2f}" for v in wall[label])
        print(
            f"| {label} | {median:.2f} | {runs_text} | {median / reference_wall:.2f} "
            f"| {cpu_median:.2f} | {cpu_median / reference_cpu:.2f} |"
        )
    print()
    for label in labels[:-1]:
        differences = board_differences(outputs[label], outputs[labels[-1]])
        print(f"board of {label} against the reference: {differences}")


def processor_seconds() -> float:
    """User and system seconds of this process and of its ended children (the engine's
    forked bootstrap workers)."""
    return _seconds(resource.getrusage(resource.RUSAGE_SELF)) + _seconds(
        resource.getrusage(resource.RUSAGE_CHILDREN)
    )


def _seconds(usage: resource.struct_rusage) -> float:
    """User and system seconds of a ``getrusage`` reading."""
    return usage.ru_utime + usage.ru_stime


#: The parts of a ties-as-half bootstrap block (``BlockPlan.run``), in its order.
PARTS = ("draws", "row totals", "chord refits", "replicate check")


@dataclass
class Parts:
    """Processor seconds of each part of ties-as-half bootstrap blocks run in this process,
    and the chord steps their rounds took (a step of one round counts one), summed over
    every bootstrap run while :meth:`timing` is on."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARTS, 0.0))
    round_steps: int = 0

    @contextlib.contextmanager
    def timing(self) -> Iterator[None]:
        """The engine's functions of each part wrapped to add their time to ``seconds``, and
        the chord solver to count each round's steps."""

        def timed(part: str, function: Callable) -> Callable:
            @functools.wraps(function)
            def wrapper(*args, **kwargs):
                started = time.process_time()
                try:
                    return function(*args, **kwargs)
                finally:
                    self.seconds[part] += time.process_time() - started

            return wrapper

        solve = bootstrap._ChordSolve.solve

        def counted(solver, gradient: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
            self.round_steps += gradient.shape[1]
            return solve(solver, gradient, scale)

        plan, totals, check = bootstrap.BlockPlan, bootstrap._RowTotals, ReplicateCheck
        refits = bootstrap._chord_block
        with (
            mock.patch.object(plan, "draws", timed("draws", plan.draws)),
            mock.patch.object(totals, "of", timed("row totals", totals.of)),
            mock.patch.object(bootstrap, "_chord_block", timed("chord refits", refits)),
            mock.patch.object(totals, "credited", timed("replicate check", totals.credited)),
            mock.patch.object(check, "credited", timed("replicate check", check.credited)),
            mock.patch.object(check, "openness", timed("replicate check", check.openness)),
            mock.patch.object(bootstrap._ChordSolve, "solve", counted),
        ):
            yield


def bootstrap_cpu(
    counts: PairCounts, ties: str, rounds: int, *, checked: bool = False, parts: Parts | None = None
) -> float:
    """Processor seconds of one single-threaded bootstrap of ``rounds`` rounds (fit excluded);
    ``checked``: with the replicate check, as ``rate()`` runs it (its set-up excluded);
    ``parts``: where to add up its parts' time (the ties-as-half bootstrap).

    The fit runs with BLAS on one thread, as in ``rate()``: otherwise an idle OpenBLAS thread
    spins for about 0.1 s after it, which the process's clock counts in the bootstrap (a
    fixed cost that weighed 1.4 times more per cell on the sparse case)."""
    with threadpool_limits(limits=1, user_api="blas"):
        fit = fit_bradley_terry(counts, ties=ties)
    check = None
    if checked:
        ident = identify(fit.credit, fit.credit_count)
        check = ReplicateCheck(fit.credit, ident, fit.credit_count)
    with parts.timing() if parts else contextlib.nullcontext():
        started = time.process_time()
        bootstrap.bootstrap_intervals(
            counts, fit, rounds=rounds, rng=np.random.default_rng(0), workers=1, check=check
        )
        return time.process_time() - started


def resampled_design(counts: PairCounts) -> Design:
    """The design of a ties-as-half fit: its ``cell_row`` has one entry per cell the bootstrap
    draws counts for (votes of the same pair, side and outcome share one), its ``n_rows``
    the rows its refits iterate over."""
    design = fit_bradley_terry(counts).design
    assert design is not None
    return design


def parts_report(parts: dict[str, Parts], boards: dict[str, PairCounts], rounds: int) -> None:
    """Where the checked bootstrap of each board spends its time, per cell and round, over
    ``rounds`` rounds in all, and how much faster the refits (the only part whose work per
    cell the data's sparsity multiplies: rows a cell times steps a round) would have to be,
    on both boards alike, for sparse data to cost no more per cell than dense data."""
    per_cell, steps, rows = {}, {}, {}
    for name, counts in boards.items():
        design = resampled_design(counts)
        cells = design.cell_row.size
        per_cell[name] = {p: s / (cells * rounds) * 1e9 for p, s in parts[name].seconds.items()}
        steps[name] = parts[name].round_steps / rounds
        rows[name] = design.n_rows / cells
    print("\nparts of the bootstrap with the replicate check, ns per cell and round\n")
    print("| part | dense | sparse | sparse / dense |")
    print("|---|---|---|---|")
    for part in (*PARTS, "total"):
        d, s = (sum(per_cell[n].values()) if part == "total" else per_cell[n][part] for n in boards)
        print(f"| {part} | {d:.2f} | {s:.2f} | {s / d:.2f} |")
    print(f"| chord steps a round | {steps['dense']:.2f} | {steps['sparse']:.2f} | |")
    print(f"| design rows a cell | {rows['dense']:.3f} | {rows['sparse']:.3f} | |")
    refit = {n: per_cell[n]["chord refits"] for n in boards}
    per_step = [refit[n] / (rows[n] * steps[n]) for n in boards]
    print(f"| refits, ns per row and step | {per_step[0]:.2f} | {per_step[1]:.2f} | |")
    rest = {n: sum(per_cell[n].values()) - refit[n] for n in boards}
    if refit["sparse"] + rest["sparse"] <= refit["dense"] + rest["dense"]:
        print("\nsparse data cost no more per cell than dense data")
    elif rest["sparse"] >= rest["dense"]:
        print("\nsparse / dense per cell stays above 1 however fast the refits are")
    else:
        faster = (refit["sparse"] - refit["dense"]) / (rest["dense"] - rest["sparse"])
        print(
            f"\nsparse / dense per cell reaches 1 with refits {faster:.1f} times as fast on both "
            f"boards (sparse refits at most {refit['sparse'] / faster:.2f} ns a cell)"
        )


def engine_runs(rounds: int, runs: int, with_k1000: bool) -> None:
    """The engine goals other than the whole command, in one run: bootstrap processor time per
    (cell, round) on sparse and dense data, without and with the replicate check, and the
    Davidson bootstrap against ties-as-half (one thread, median of ``runs``, alternating), and
    optionally K = 1,000 (``rate()``, default workers, 1,000 rounds)."""
    dense = synthetic_arena(200, 1_000_000, seed=200, keep_votes=False).counts
    sparse = synthetic_arena(200, 100_000, seed=201, keep_votes=False).counts
    cases = {
        "half, dense (K = 200, N = 1 M)": (dense, "half", False),
        "half, sparse (K = 200, N = 100 k)": (sparse, "half", False),
        "davidson, dense (K = 200, N = 1 M)": (dense, "davidson", False),
        "half, dense, with the replicate check": (dense, "half", True),
        "half, sparse, with the replicate check": (sparse, "half", True),
    }
    cpu: dict[str, list[float]] = {label: [] for label in cases}
    parts = {"dense": Parts(), "sparse": Parts()}
    parts_of = {
        "half, dense, with the replicate check": parts["dense"],
        "half, sparse, with the replicate check": parts["sparse"],
    }
    load_before = os.getloadavg()[0]
    for _ in range(runs):
        for label, (counts, ties, checked) in cases.items():
            cpu[label].append(
                bootstrap_cpu(counts, ties, rounds, checked=checked, parts=parts_of.get(label))
            )
    print(
        f"\nbootstrap, {rounds} rounds, one thread, processor time, median of {runs}; load "
        f"average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n"
    )
    print("| case | resampled cells | CPU s | ns per cell and round |")
    print("|---|---|---|---|")
    per_cell = {}
    for label, (counts, *_) in cases.items():
        seconds = float(np.median(cpu[label]))
        cells = resampled_design(counts).cell_row.size
        per_cell[label] = seconds / (cells * rounds) * 1e9
        print(f"| {label} | {cells:,} | {seconds:.2f} | {per_cell[label]:.1f} |")
    half, sparse_label, davidson, half_checked, sparse_checked = list(cases)
    print(f"\nsparse / dense per cell: {per_cell[sparse_label] / per_cell[half]:.2f}")
    checked_ratio = per_cell[sparse_checked] / per_cell[half_checked]
    print(
        f"sparse / dense per cell, with the replicate check (as rate() runs it): "
        f"{checked_ratio:.2f}"
    )
    davidson_ratio = np.median(cpu[davidson]) / np.median(cpu[half])
    print(f"davidson / half: {davidson_ratio:.2f}")
    parts_report(parts, {"dense": dense, "sparse": sparse}, rounds * runs)
    if with_k1000:
        counts = synthetic_arena(1000, 5_000_000, seed=1000, keep_votes=False).counts
        load_before = os.getloadavg()[0]
        wall, used = time.perf_counter(), processor_seconds()
        rate(counts, rounds=ROUNDS, seed=0)
        print(
            f"\nK = 1,000, N = 5 M, {ROUNDS} rounds, rate(), default workers: wall "
            f"{time.perf_counter() - wall:.1f} s, CPU {processor_seconds() - used:.1f} s; load "
            f"average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="500k votes for the large sizes, 3 reference rounds"
    )
    parser.add_argument("--reference-rounds", type=int, default=None)
    parser.add_argument("--sizes", default="50,129,200,1000")
    parser.add_argument("--scaling", action="store_true", help="run the N sweep instead")
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument(
        "--cli", action="store_true", help="time the whole command line at K=200, N=5M instead"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (--cli)")
    parser.add_argument("--before", help="with --cli: also this commit's command (default workers)")
    parser.add_argument(
        "--engine",
        action="store_true",
        help="sparse vs dense per cell, by part, and Davidson vs ties-as-half (one thread) instead",
    )
    parser.add_argument("--rounds", type=int, default=300, help="bootstrap rounds (--engine)")
    parser.add_argument("--k1000", action="store_true", help="with --engine: also K = 1,000")
    parser.add_argument(
        "--references",
        default="arena-lbfgs,choix",
        help="comma-separated references to run, or 'none'",
    )
    args = parser.parse_args()
    print(
        f"# bench.ratings {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"numpy {np.__version__}"
    )
    if args.scaling:
        scaling(args.plot)
        return
    if args.engine:
        engine_runs(args.rounds, args.runs, args.k1000)
        return
    if args.cli:
        for k in [int(size) for size in args.sizes.split(",")]:
            cli_runs(k, 500_000 if args.quick else 5_000_000, args.runs, args.before)
        return
    reference_rounds = args.reference_rounds or (3 if args.quick else 20)
    for label, counts, anchor in sizes([int(s) for s in args.sizes.split(",")], args.quick):
        references = tuple(args.references.split(","))
        rounds = min(reference_rounds, ROUNDS)
        results = run_size(label, counts, anchor, rounds, references)
        report(label, results)


if __name__ == "__main__":
    main()
