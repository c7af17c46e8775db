"""The serving plan: everything a battle is drawn from, computed off the request path.

One plan per modality holds the models that can be served, the prompts with their category
and language, which output answers each prompt for each model (and which answers are the
same text or file), the counted votes the pair-sampling policy reads, and the resulting
cumulative pair weights. Serving a battle reads the newest plan from process memory and
draws a pair and a prompt in microseconds, whatever the number of votes.

Who builds it:
- the worker, every ``ARENA_SERVING_PLAN_REFRESH_SECONDS`` (beat), adding only the votes
  newer than the previous plan's, with a full recount every
  ``ARENA_SERVING_PLAN_RECOUNT_SECONDS`` (votes excluded after they were counted, and
  votes whose transaction committed late, are caught there);
- any write through the application that changes what may be served (a model, set, prompt
  or output saved or deleted, an import), at once, inside the writer's transaction; that
  rebuild carries the counts over and so never reads every vote;
- a request, only when no plan exists at all (a new install): the outputs, without votes.

A process rereads which plan is newest at most every ``ARENA_SERVING_PLAN_RECHECK_SECONDS``;
until a new plan is loaded it keeps drawing from the previous one, so a refresh never makes
requests wait or pile onto the database.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, fields

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from arena.models import Modality, ServingPlan, Vote
from arena.sampling import SamplingCounts, pair_weights
from arena.selectors import servable_outputs
from pairwise.matrices import pair_matrices
from pairwise.outcomes import Outcome

#: Rejected draws (a pair with no prompt under the voter's filters) before the exact search.
_DRAWS_BEFORE_SEARCH = 32


@dataclass(frozen=True)
class Plan:
    """Arrays only, so that a plan stores as one ``.npz`` blob.

    model_ids (K,), prompt_ids (P,), categories and languages (P,) strings;
    outputs (P, K) output id or 0 where the model did not answer the prompt;
    answers (P, K) which distinct answer of the prompt (same checksum, same number), -1 none;
    pairs (M, 2) model indices i < j that share at least one prompt answered differently,
    cumulative (M,) running sum of their sampling weights;
    cells (C, 4) counted votes as model A id, model B id, outcome code, count.
    """

    model_ids: np.ndarray
    prompt_ids: np.ndarray
    categories: np.ndarray
    languages: np.ndarray
    outputs: np.ndarray
    answers: np.ndarray
    pairs: np.ndarray
    cumulative: np.ndarray
    cells: np.ndarray

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, **{field.name: getattr(self, field.name) for field in fields(self)})
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> Plan:
        with np.load(io.BytesIO(payload), allow_pickle=False) as arrays:
            return cls(**{field.name: arrays[field.name] for field in fields(cls)})


@dataclass(frozen=True)
class Draw:
    """A battle to serve, by ids: models and outputs in the order A, B."""

    prompt_id: int
    model_ids: tuple[int, int]
    output_ids: tuple[int, int]


# --- Building --------------------------------------------------------------------------


def _structure(modality: str) -> tuple[np.ndarray, ...]:
    """Who answered what, from the servable outputs (one query)."""
    rows = list(
        servable_outputs(modality=modality)
        .order_by()
        .values_list(
            "prompt_id", "prompt__category", "prompt__language", "model_id", "id", "checksum"
        )
    )
    model_ids = np.array(sorted({row[3] for row in rows}), dtype=np.int64)
    prompts = sorted({row[0]: (row[1], row[2]) for row in rows}.items())
    prompt_ids = np.array([prompt for prompt, _ in prompts], dtype=np.int64)
    categories = np.array([category for _, (category, _) in prompts], dtype=str)
    languages = np.array([language for _, (_, language) in prompts], dtype=str)
    outputs = np.zeros((len(prompt_ids), len(model_ids)), dtype=np.int64)
    answers = np.full(outputs.shape, -1, dtype=np.int32)
    row_of = {prompt: row for row, prompt in enumerate(prompt_ids.tolist())}
    column_of = {model: column for column, model in enumerate(model_ids.tolist())}
    distinct: dict[tuple[int, str], int] = {}
    for prompt, _, _, model, output, checksum in rows:
        row, column = row_of[prompt], column_of[model]
        outputs[row, column] = output
        answers[row, column] = distinct.setdefault((prompt, checksum), len(distinct))
    return model_ids, prompt_ids, categories, languages, outputs, answers


def _playable_pairs(answers: np.ndarray) -> np.ndarray:
    """(M, 2) model indices i < j with at least one prompt both answered differently."""
    size = answers.shape[1]
    answered = answers >= 0
    playable = np.zeros((size, size), dtype=bool)
    for i in range(size):
        both = answered[:, i : i + 1] & answered
        playable[i] = (both & (answers[:, i : i + 1] != answers)).any(axis=0)
    return np.argwhere(np.triu(playable, k=1))


def _new_cells(modality: str, *, after: int, up_to: int) -> np.ndarray:
    """Counted votes with ``after < id <= up_to``, grouped into (A id, B id, outcome, n)."""
    rows = (
        Vote.objects.filter(modality=modality, excluded=False, id__gt=after, id__lte=up_to)
        .values_list("model_a_id", "model_b_id", "outcome")
        .annotate(n=Sum("count"))
        .order_by()
    )
    cells = [(a, b, Outcome.from_name(outcome), n) for a, b, outcome, n in rows]
    return np.array(cells, dtype=np.int64).reshape(-1, 4)


def _merge_cells(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    if not len(old):
        return new
    if not len(new):
        return old
    both = np.concatenate([old, new])
    keys, inverse = np.unique(both[:, :3], axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=both[:, 3], minlength=len(keys))
    return np.column_stack([keys, counts.astype(np.int64)])


def sampling_counts(model_ids: np.ndarray, cells: np.ndarray) -> SamplingCounts:
    """The policy's counts among ``model_ids``; votes against other models count towards
    each model's own total too."""
    index = {model: position for position, model in enumerate(model_ids.tolist())}
    side_a = np.array([index.get(a, -1) for a in cells[:, 0].tolist()], dtype=np.int64)
    side_b = np.array([index.get(b, -1) for b in cells[:, 1].tolist()], dtype=np.int64)
    count = cells[:, 3].astype(np.float64)
    votes = np.zeros(len(model_ids))
    for side in (side_a, side_b):
        np.add.at(votes, side[side >= 0], count[side >= 0])
    among = (side_a >= 0) & (side_b >= 0)
    games, wins = pair_matrices(
        len(model_ids), side_a[among], side_b[among], cells[among, 2], count[among]
    )
    return SamplingCounts(votes=votes, games=games, wins=wins)


def _plan(structure: tuple[np.ndarray, ...], cells: np.ndarray) -> Plan:
    model_ids, prompt_ids, categories, languages, outputs, answers = structure
    pairs = _playable_pairs(answers)
    weights = pair_weights(
        sampling_counts(model_ids, cells),
        new_model_votes=settings.ARENA_NEW_MODEL_VOTES,
        new_model_boost=settings.ARENA_NEW_MODEL_BOOST,
        under_voted_boost=settings.ARENA_UNDER_VOTED_BOOST,
    )
    return Plan(
        model_ids=model_ids,
        prompt_ids=prompt_ids,
        categories=categories,
        languages=languages,
        outputs=outputs,
        answers=answers,
        pairs=pairs,
        cumulative=np.cumsum(weights[pairs[:, 0], pairs[:, 1]]),
        cells=cells,
    )


def serving_plan_refresh(
    modality: str, *, count_votes: bool = True, recount: bool = False
) -> ServingPlan:
    """Build and store a new plan for ``modality``.

    The counts start from the newest plan's and add the votes since (``count_votes``), or
    are recounted from every vote (``recount``, or when they were never counted); with
    ``count_votes`` false they are carried over as they are (a write that only changed who
    can be served). Plans older than the previous one are deleted.
    """
    with transaction.atomic():
        previous = ServingPlan.objects.filter(modality=modality).order_by("-id").first()
        cells, counted_up_to, recounted_at = np.zeros((0, 4), dtype=np.int64), 0, None
        if previous is not None:
            cells = Plan.from_bytes(bytes(previous.payload)).cells
            counted_up_to, recounted_at = previous.counted_up_to, previous.recounted_at
        if count_votes:
            if recount or recounted_at is None:
                cells, counted_up_to, recounted_at = cells[:0], 0, timezone.now()
            # The newest id of any modality: read off the primary key's index at once.
            newest = Vote.objects.aggregate(newest=Max("id"))["newest"] or 0
            cells = _merge_cells(cells, _new_cells(modality, after=counted_up_to, up_to=newest))
            counted_up_to = newest
        plan = _plan(_structure(modality), cells)
        stored = ServingPlan.objects.create(
            modality=modality,
            payload=plan.to_bytes(),
            counted_up_to=counted_up_to,
            recounted_at=recounted_at,
        )
        if previous is not None:
            ServingPlan.objects.filter(modality=modality, id__lt=previous.id).delete()
    _loaded[modality] = _Loaded(stored.id, plan, time.monotonic())
    return stored


def serving_plans_refresh() -> list[ServingPlan]:
    """Beat's tick: every modality's plan, recounted in full where the last full count is
    older than ``ARENA_SERVING_PLAN_RECOUNT_SECONDS``."""
    plans = []
    for modality in Modality.values:
        newest = ServingPlan.objects.filter(modality=modality).order_by("-id").first()
        recount = (
            newest is not None
            and newest.recounted_at is not None
            and (timezone.now() - newest.recounted_at).total_seconds()
            >= settings.ARENA_SERVING_PLAN_RECOUNT_SECONDS
        )
        plans.append(serving_plan_refresh(modality, recount=recount))
    return plans


# --- Reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    plan_id: int
    plan: Plan
    checked_at: float


_loaded: dict[str, _Loaded] = {}


def forget_loaded_plans() -> None:
    """Drop this process's loaded plans (tests, and after a database is swapped)."""
    _loaded.clear()


def current_plan(modality: str) -> Plan:
    """The newest plan of ``modality``: from memory while it was checked recently, else
    after one query for the newest id (and one more when it changed)."""
    now = time.monotonic()
    loaded = _loaded.get(modality)
    if loaded and now - loaded.checked_at < settings.ARENA_SERVING_PLAN_RECHECK_SECONDS:
        return loaded.plan
    newest = (
        ServingPlan.objects.filter(modality=modality)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    if newest is None:
        serving_plan_refresh(modality, count_votes=False)
        return _loaded[modality].plan
    if loaded is None or loaded.plan_id != newest:
        payload = ServingPlan.objects.values_list("payload", flat=True).get(id=newest)
        loaded = _Loaded(newest, Plan.from_bytes(bytes(payload)), now)
    _loaded[modality] = _Loaded(loaded.plan_id, loaded.plan, now)
    return loaded.plan


def filter_options(modality: str) -> dict[str, list[str]]:
    """The categories and languages a voter can filter on, from the plan."""
    plan = current_plan(modality)
    return {
        "categories": sorted({c for c in plan.categories.tolist() if c}),
        "languages": sorted({lang for lang in plan.languages.tolist() if lang}),
    }


def _prompts_of_pair(plan: Plan, i: int, j: int, shown: np.ndarray) -> np.ndarray:
    """Rows of the prompts both models answered, differently, among the ``shown`` ones."""
    a, b = plan.answers[:, i], plan.answers[:, j]
    return np.flatnonzero(shown & (a >= 0) & (b >= 0) & (a != b))


def _search(plan: Plan, shown: np.ndarray, rng: np.random.Generator) -> int | None:
    """Exact draw among the pairs that have a shown prompt (after many rejected draws)."""
    weights = np.diff(plan.cumulative, prepend=0.0)
    usable = np.array(
        [_prompts_of_pair(plan, i, j, shown).size > 0 for i, j in plan.pairs.tolist()],
        dtype=bool,
    )
    weights = np.where(usable, weights, 0.0)
    if weights.sum() <= 0:
        return None
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def _pair_with_prompts(
    plan: Plan, shown: np.ndarray, rng: np.random.Generator
) -> tuple[int, int, np.ndarray] | None:
    """A pair drawn by weight that has a shown prompt, with those prompts' rows. Draws are
    rejected while the pair has none (only possible under filters), then the pairs that
    have one are searched exactly."""
    for _ in range(_DRAWS_BEFORE_SEARCH):
        target = rng.random() * plan.cumulative[-1]
        index = min(
            int(np.searchsorted(plan.cumulative, target, side="right")), len(plan.pairs) - 1
        )
        i, j = plan.pairs[index].tolist()
        rows = _prompts_of_pair(plan, i, j, shown)
        if rows.size:
            return i, j, rows
    index = _search(plan, shown, rng)
    if index is None:
        return None
    i, j = plan.pairs[index].tolist()
    return i, j, _prompts_of_pair(plan, i, j, shown)


def plan_draw(
    plan: Plan, rng: np.random.Generator, *, category: str = "", language: str = ""
) -> Draw | None:
    """A pair drawn by its sampling weight, a prompt both answered differently (within the
    filters), random left and right; ``None`` when nothing can be served."""
    if not len(plan.pairs) or plan.cumulative[-1] <= 0:
        return None
    shown = np.ones(len(plan.prompt_ids), dtype=bool)
    if category:
        shown &= plan.categories == category
    if language:
        shown &= plan.languages == language
    drawn = _pair_with_prompts(plan, shown, rng) if shown.any() else None
    if drawn is None:
        return None
    i, j, rows = drawn
    row = int(rows[rng.integers(rows.size)])
    if rng.random() < 0.5:
        i, j = j, i
    return Draw(
        prompt_id=int(plan.prompt_ids[row]),
        model_ids=(int(plan.model_ids[i]), int(plan.model_ids[j])),
        output_ids=(int(plan.outputs[row, i]), int(plan.outputs[row, j])),
    )
