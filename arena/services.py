"""Writes: every function here owns its transaction."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache

import numpy as np
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Field, Model
from django.db.models.expressions import Col
from django.utils import timezone

from arena.catalogue import CatalogueRow
from arena.models import AIModel, Battle, Lab, Output, Prompt, Vote, WorkerHeartbeat
from arena.selectors import servable_outputs, voter_vote_count
from arena.serving_plan import Draw, current_plan, plan_draw, serving_plan_refresh


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    return heartbeat


@dataclass(frozen=True)
class CatalogueReport:
    labs_created: int
    labs_updated: int
    models_created: int
    models_updated: int
    models_unchanged: int

    def __str__(self) -> str:
        return (
            f"labs: {self.labs_created} created, {self.labs_updated} updated; models: "
            f"{self.models_created} created, {self.models_updated} updated, "
            f"{self.models_unchanged} unchanged"
        )


@transaction.atomic
def catalogue_upsert(*, rows: list[CatalogueRow]) -> CatalogueReport:
    """Create or update labs and models from parsed catalogue rows, all or nothing."""
    labs = {lab.name: lab for lab in Lab.objects.all()}
    labs_created = labs_updated = 0
    for organisation, country in {row.organisation: row.country for row in rows}.items():
        lab = labs.get(organisation)
        if lab is None:
            labs[organisation] = Lab.objects.create(name=organisation, country=country)
            labs_created += 1
        elif lab.country != country:
            lab.country = country
            lab.save(update_fields=["country"])
            labs_updated += 1
    existing = {model.key: model for model in AIModel.objects.filter(key__in=[r.key for r in rows])}
    created = updated = unchanged = 0
    for row in rows:
        values = {
            "display_name": row.display_name,
            "lab": labs[row.organisation],
            "release_date": row.release_date,
            "release_date_source": row.release_date_source,
            "release_date_precision": row.release_date_precision,
            "first_listed": row.first_listed,
            "licence": row.licence,
            "weights": row.weights,
            "modalities": list(row.modalities),
        }
        model = existing.get(row.key)
        if model is None:
            AIModel.objects.create(key=row.key, **values)
            created += 1
        elif any(getattr(model, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(model, name, value)
            model.save()
            updated += 1
        else:
            unchanged += 1
    return CatalogueReport(labs_created, labs_updated, created, updated, unchanged)


# --- Battles and votes ------------------------------------------------------------------


class Refused(Exception):
    """A request the arena refuses, with the HTTP status and the message to show."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidChoice(Refused):
    status = 400


class NothingToServe(Refused):
    status = 404


class BattleNotFound(Refused):
    status = 404


class BattleExpired(Refused):
    status = 410


class AlreadyVoted(Refused):
    status = 409


class Throttled(Refused):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@cache
def _insert_statement(model: type[Model], vendor: str) -> tuple[str, tuple[Field, ...]]:
    """The INSERT of a new row of ``model``, returning its id, and the fields it writes."""
    meta = model._meta
    fields = tuple(field for field in meta.concrete_fields if not field.primary_key)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    places = ", ".join(["%s"] * len(fields))
    returning = connection.ops.quote_name(meta.pk.column)
    sql = f"INSERT INTO {meta.db_table} ({columns}) VALUES ({places}) RETURNING {returning}"
    return sql, fields


def _insert(row: Model, *, with_clause: str = "", with_params: tuple = ()) -> Model:
    """``row.save()`` for a new row, with the INSERT compiled once per model: the ORM
    compiling it on every battle and vote cost more processor time than the database spent
    on the row (docs/performance.md, "Fourth round"). Field defaults and conversions are the
    ORM's (``pre_save``, ``get_db_prep_save``); no signal is sent (none is connected to
    battles or votes). ``with_clause`` (and its parameters) go before the INSERT: a
    data-modifying ``WITH`` on PostgreSQL, run in the same statement. The fields are given
    the connection itself, not ``django.db.connection``, whose every attribute is looked up
    in the thread's connections (a third of the fields' conversion time)."""
    db = connections[DEFAULT_DB_ALIAS]
    if not db.features.can_return_columns_from_insert:  # SQLite before 3.35
        row.save(force_insert=True)
        return row
    sql, fields = _insert_statement(type(row), db.vendor)
    params = [field.get_db_prep_save(field.pre_save(row, True), db) for field in fields]
    with db.cursor() as cursor:
        cursor.execute(with_clause + sql, [*with_params, *params])
        row.pk = cursor.fetchone()[0]
    row._state.adding, row._state.db = False, db.alias
    return row


#: Stand-ins for the two output ids in the servable-pair statement, compiled once.
_PAIR_IDS = (-7_000_000_001, -7_000_000_002)
_OUTPUT_FIELDS = tuple(f.attname for f in Output._meta.concrete_fields)
_PROMPT_FIELDS = tuple(f.attname for f in Prompt._meta.concrete_fields)


@dataclass(frozen=True)
class _PairStatement:
    """The statement reading two outputs and their prompt through ``servable_outputs``,
    compiled by the ORM once per filter (compiling it cost a quarter of a vote's processor
    time): its SQL and parameters, where the two output ids go in them, and the ORM's
    conversions of the columns it returns (JSON, dates on SQLite)."""

    sql: str
    params: tuple
    places: tuple[int, int]
    converters: dict


@lru_cache(maxsize=256)
def _servable_pair_statement(modality: str, category: str, language: str) -> _PairStatement:
    pair = (
        servable_outputs(modality=modality, category=category, language=language)
        .filter(pk__in=_PAIR_IDS)
        .order_by()
        .values_list(*_OUTPUT_FIELDS, *(f"prompt__{name}" for name in _PROMPT_FIELDS))
    )
    compiler = pair.query.get_compiler(connection.alias)
    sql, params = compiler.as_sql()
    columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
    places = tuple(params.index(stand_in) for stand_in in _PAIR_IDS)
    return _PairStatement(sql, tuple(params), places, compiler.get_converters(columns))


def _servable_pair(
    modality: str, category: str, language: str, output_ids: tuple[int, int]
) -> dict[int, Output]:
    """The two outputs, each with its prompt, that are still servable, by id."""
    statement = _servable_pair_statement(modality, category, language)
    params = list(statement.params)
    for place, output_id in zip(statement.places, output_ids, strict=True):
        params[place] = output_id
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        rows = [list(row) for row in cursor.fetchall()]
    for row in rows:
        for place, (converters, column) in statement.converters.items():
            for converter in converters:
                row[place] = converter(row[place], column, connection)
    outputs = {}
    split = len(_OUTPUT_FIELDS)
    for row in rows:
        output = Output.from_db(connection.alias, _OUTPUT_FIELDS, row[:split])
        output.prompt = Prompt.from_db(connection.alias, _PROMPT_FIELDS, row[split:])
        outputs[output.pk] = output
    return outputs


def _servable_draw(
    modality: str, category: str, language: str, rng: np.random.Generator
) -> tuple[Draw, dict[int, Output]] | None:
    """A draw from the serving plan, with its two outputs read back through the servability
    rules (one query): a plan a little older than a write that withdrew an output (an
    identity leak found, a model or set deactivated) can never serve it. Such a draw
    rebuilds the plan, once, and draws again."""
    for attempt in range(2):
        if attempt:
            serving_plan_refresh(modality, count_votes=False)
        draw = plan_draw(current_plan(modality), rng, category=category, language=language)
        if draw is None:
            return None
        outputs = _servable_pair(modality, category, language, draw.output_ids)
        if len(outputs) == 2:
            return draw, outputs
    return None


def battle_create(
    *,
    voter_key: str,
    modality: str,
    category: str = "",
    language: str = "",
    rng: np.random.Generator | None = None,
    ip_hash: str = "",
    network_hash: str = "",
) -> Battle:
    """Serve a new battle: a pair chosen by the sampling policy, a prompt both models
    answered differently, random left/right order, an unguessable token bound to the voter.
    Reads the precomputed serving plan, so its cost does not grow with the votes. The
    client's hashes are stored for the serving limits (``arena.serving_limits``)."""
    rng = rng or np.random.default_rng(secrets.randbits(64))
    now = timezone.now()
    drawn = _servable_draw(modality, category, language, rng)
    if drawn is None:
        filters = ", ".join(
            f"{k} {v!r}" for k, v in (("category", category), ("language", language)) if v
        )
        raise NothingToServe(
            f"Nothing to serve for {modality}{' with ' + filters if filters else ''}: no prompt "
            "has different outputs from two different models yet."
        )
    draw, outputs = drawn
    output_a, output_b = (outputs[output_id] for output_id in draw.output_ids)
    battle = Battle(
        session_key=voter_key,
        modality=modality,
        prompt=output_a.prompt,  # read with the outputs: serving the battle needs no query
        output_a=output_a,
        output_b=output_b,
        model_a_id=draw.model_ids[0],
        model_b_id=draw.model_ids[1],
        served_at=now,
        expires_at=now + timedelta(seconds=settings.ARENA_BATTLE_TTL_SECONDS),
        ip_hash=ip_hash,
        network_hash=network_hash,
    )
    return _insert(battle)


def client_ip_hash(ip: str) -> str:
    """A keyed hash of the client address: enough to rate-limit, not to identify."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class _EarlierVotes:
    """Arena votes cast before this one."""

    voter: int  # by this voter that count, as ``voter_vote_count`` counts them
    voter_day: int  # by this voter in the last day
    voter_minute: int  # by this voter in the last minute
    address_minute: int  # from this address in the last minute (0 without an address)


def _exclusion(
    *, battle: _LockedBattle, earlier: _EarlierVotes, ip_hash: str, now: datetime
) -> str:
    """Why this vote must not count (checked in this order), or "" if it counts.
    ``battle`` is one read by ``_locked_battle``."""
    if earlier.voter_minute >= settings.ARENA_VOTES_PER_MINUTE_PER_SESSION or (
        ip_hash and earlier.address_minute >= settings.ARENA_VOTES_PER_MINUTE_PER_IP
    ):
        return Vote.ExclusionReason.RATE_LIMIT
    if earlier.voter_day >= settings.ARENA_DAILY_VOTE_CAP:
        return Vote.ExclusionReason.DAILY_CAP
    if battle.leaks_identity:
        return Vote.ExclusionReason.IDENTITY_LEAK
    if (now - battle.served_at).total_seconds() < settings.ARENA_MIN_READ_SECONDS:
        return Vote.ExclusionReason.TOO_FAST
    return ""


# The statements of every vote are written as SQL: built with the ORM (five joined
# relations, three filtered counts) they cost more processor time than the rest of the vote
# together (docs/performance.md, "What a request costs").


@cache
def _earlier_votes_sql(*, with_address: bool) -> str:
    """The counts of ``_EarlierVotes``, a query of its own within the vote's locked read
    (``_earlier_votes_params`` gives its parameters). The index on ``(voter_key,
    created_at)`` serves the voter's side of the OR, the one on ``(ip_hash, created_at)``
    the address's. Each side repeats its index's condition (``VOTER_KNOWN``,
    ``ADDRESS_KNOWN`` in ``arena.models``), without which SQLite does not use a partial
    index."""
    mine = "(voter_key = %s AND voter_key > '')"
    if with_address:
        mine += " OR (ip_hash = %s AND ip_hash > '' AND created_at >= %s)"
    return (
        "SELECT COUNT(CASE WHEN voter_key = %s AND (excluded = %s OR created_at > %s) THEN 1 END) "
        "AS voter, COUNT(CASE WHEN voter_key = %s AND created_at >= %s THEN 1 END) AS voter_day, "
        "COUNT(CASE WHEN voter_key = %s AND created_at >= %s THEN 1 END) AS voter_minute, "
        "COUNT(CASE WHEN ip_hash = %s AND created_at >= %s THEN 1 END) AS address_minute "
        f"FROM {Vote._meta.db_table} WHERE source = %s AND ({mine})"
    )


def _earlier_votes_params(*, voter_key: str, ip_hash: str, now: datetime) -> list:
    adapt = connection.ops.adapt_datetimefield_value
    minute_ago, day_ago = adapt(now - timedelta(minutes=1)), adapt(now - timedelta(days=1))
    settled = adapt(now - timedelta(hours=settings.ARENA_VOTE_COUNT_SETTLE_HOURS))
    params = [voter_key, False, settled, voter_key, day_ago, voter_key, minute_ago]
    params += [ip_hash, minute_ago]
    params += [Vote.SOURCE_ARENA, voter_key]
    if ip_hash:
        params += [ip_hash, minute_ago]
    return params


@dataclass(frozen=True)
class Revealed:
    """A model as the voter sees it after voting."""

    model: str
    display_name: str
    lab: str
    country: str


#: How long a web process may keep showing a model's name, lab and country after an edit
#: made in another process (an edit in the same process is seen at once).
REVEAL_CACHE_SECONDS = 60


class _RevealCache:
    """Every model as ``Revealed``, by id, read in one query and kept per process: the vote
    reveals two models, and joining their models and labs into the vote's locked read made
    PostgreSQL spend longer planning it than the rest of the vote's statements together
    (docs/performance.md, "Fourth round"). Models and labs change rarely; the cache is read
    again after ``REVEAL_CACHE_SECONDS``, when a model it does not know is asked for, and
    when a model or lab is saved or deleted in this process (``arena.apps``)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._by_id: dict[int, Revealed] = {}
        self._read_at = float("-inf")

    def get(self, model_ids: tuple[int, int]) -> tuple[Revealed, Revealed]:
        by_id = self._by_id
        stale = time.monotonic() - self._read_at > REVEAL_CACHE_SECONDS
        if stale or any(model_id not in by_id for model_id in model_ids):
            read_at = time.monotonic()
            rows = AIModel.objects.values_list(
                "id", "key", "display_name", "lab__name", "lab__country"
            )
            by_id = {model_id: Revealed(*revealed) for model_id, *revealed in rows}
            self._by_id, self._read_at = by_id, read_at
        return tuple(by_id[model_id] for model_id in model_ids)


revealed_models = _RevealCache()


@cache
def _locked_battle_sql(vendor: str, *, with_address: bool) -> str:
    """The vote's one read: the voter's battle, its row locked, and the voter's and the
    address's earlier votes (``_earlier_votes_sql``), counted in the same statement."""
    names = {
        "battle": Battle._meta.db_table,
        "output": Output._meta.db_table,
        "prompt": Prompt._meta.db_table,
        "earlier": _earlier_votes_sql(with_address=with_address),
    }
    # Only the battle row is locked (FOR UPDATE OF): its outputs and prompt are read
    # unlocked, so votes on battles that share an output never wait for each other (locking
    # them too deadlocked concurrent voters). SQLite has no row locks: its IMMEDIATE
    # transactions hold the database's write lock from the start.
    lock = " FOR UPDATE OF b" if connection.features.has_select_for_update_of else ""
    return (
        "SELECT b.id, b.modality, b.model_a_id, b.model_b_id, b.served_at, b.expires_at, "
        "b.state, oa.identity_leak AS leak_a, ob.identity_leak AS leak_b, "
        "p.category AS prompt_category, p.language AS prompt_language, "
        "e.voter, e.voter_day, e.voter_minute, e.address_minute "
        "FROM {battle} b "
        "JOIN {output} oa ON oa.id = b.output_a_id JOIN {output} ob ON ob.id = b.output_b_id "
        "JOIN {prompt} p ON p.id = b.prompt_id CROSS JOIN ({earlier}) e "
        "WHERE b.token = %s AND b.session_key = %s"
    ).format(**names) + lock


@dataclass(frozen=True)
class _LockedBattle:
    """What a vote needs of its battle, read by ``_locked_battle``."""

    pk: int
    modality: str
    model_a_id: int
    model_b_id: int
    served_at: datetime
    expires_at: datetime
    state: str
    leaks_identity: bool  # either output
    prompt_category: str
    prompt_language: str


@cache
def _datetime_converters(vendor: str) -> tuple[Col, list]:
    column = Battle._meta.get_field("served_at").get_col(Battle._meta.db_table)
    return column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)


def _from_db_datetime(value: object) -> datetime:
    """A date and time as the ORM reads it (SQLite returns text; PostgreSQL is done)."""
    column, converters = _datetime_converters(connection.vendor)
    for convert in converters:
        value = convert(value, column, connection)
    return value


def _locked_battle(
    *, token: str, voter_key: str, ip_hash: str, now: datetime
) -> tuple[_LockedBattle, _EarlierVotes] | None:
    """The voter's battle with its row locked, and the earlier votes the vote's rules count,
    read in one statement with a plain cursor (through a raw queryset, making a model
    instance of the row cost more than the statement)."""
    sql = _locked_battle_sql(connection.vendor, with_address=bool(ip_hash))
    params = _earlier_votes_params(voter_key=voter_key, ip_hash=ip_hash, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, token, voter_key])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, modality, model_a, model_b, served_at, expires_at, state, leak_a, leak_b, *rest = row
    category, language, *earlier = rest
    battle = _LockedBattle(
        pk,
        modality,
        model_a,
        model_b,
        _from_db_datetime(served_at),
        _from_db_datetime(expires_at),
        state,
        bool(leak_a or leak_b),
        category,
        language,
    )
    return battle, _EarlierVotes(*earlier)


@cache
def _mark_voted_sql(vendor: str) -> str:
    """Marks the battle voted; on PostgreSQL a ``WITH`` clause of the vote's INSERT (a
    data-modifying WITH runs once, whether or not the INSERT reads it), which saves the
    statement's round trip on every vote."""
    update = f"UPDATE {Battle._meta.db_table} SET state = %s WHERE id = %s"
    return f"WITH voted AS ({update}) " if vendor == "postgresql" else update


def _vote_insert(vote: Vote) -> None:
    """Insert the vote and mark its battle voted (one statement on PostgreSQL)."""
    mark_voted = _mark_voted_sql(connection.vendor)
    marked = (Battle.State.VOTED, vote.battle_id)
    if connection.vendor == "postgresql":
        _insert(vote, with_clause=mark_voted, with_params=marked)
        return
    _insert(vote)
    with connection.cursor() as cursor:
        cursor.execute(mark_voted, marked)


@dataclass(frozen=True)
class VoteResult:
    vote: Vote
    revealed: tuple[Revealed, Revealed]  # model A, model B
    replayed: bool  # an identical retry of an earlier vote: nothing new was written
    votes_cast: int  # the voter's arena votes, this one included


def vote_cast(*, token: str, choice: str, voter_key: str, ip: str = "") -> VoteResult:
    """Record a vote on a served battle, in this request's transaction.

    Refusals: unknown token or another voter's battle (404), expired (410), a different
    second vote (409). An identical retry returns the original vote. A vote over the rate
    limit is kept (excluded, reason ``rate_limit``) and then refused with 429; too-fast and
    over-the-daily-cap votes are kept, excluded, and answered normally.
    """
    if choice not in Vote.Outcome.values:
        raise InvalidChoice(f"{choice!r} is not a valid choice; use one of {Vote.Outcome.values}.")
    now = timezone.now()
    try:
        with transaction.atomic():
            ip_hash = client_ip_hash(ip)
            read = _locked_battle(token=token, voter_key=voter_key, ip_hash=ip_hash, now=now)
            if read is None:
                raise BattleNotFound("No battle with this token was served to this session.")
            battle, earlier = read
            # The battle is marked voted with its vote, under the lock just taken: only then
            # is there an earlier vote to read (a vote written otherwise still trips the
            # unique battle constraint below and is replayed from there).
            if battle.state == Battle.State.VOTED:
                return _replay(Vote.objects.get(battle_id=battle.pk), choice)
            if now >= battle.expires_at:
                raise BattleExpired("This battle has expired; load a new one to vote.")
            reason = _exclusion(battle=battle, earlier=earlier, ip_hash=ip_hash, now=now)
            vote = Vote(
                battle_id=battle.pk,
                source=Vote.SOURCE_ARENA,
                outcome=choice,
                voter_key=voter_key,
                ip_hash=ip_hash,
                created_at=now,
                excluded=bool(reason),
                exclusion_reason=reason,
                modality=battle.modality,
                model_a_id=battle.model_a_id,
                model_b_id=battle.model_b_id,
                category=battle.prompt_category,
                language=battle.prompt_language,
            )
            _vote_insert(vote)
    except IntegrityError:
        # A concurrent request voted on this battle between our read and our write.
        return _replay(Vote.objects.get(battle__token=token), choice)
    if reason == Vote.ExclusionReason.RATE_LIMIT:
        raise Throttled(
            "Too many votes in the last minute: this one was kept but will not "
            "count. Please slow down.",
            retry_after=60,
        )
    revealed = revealed_models.get((battle.model_a_id, battle.model_b_id))
    return VoteResult(vote=vote, revealed=revealed, replayed=False, votes_cast=earlier.voter + 1)


def _replay(earlier: Vote, choice: str) -> VoteResult:
    if earlier.outcome != choice:
        raise AlreadyVoted(
            f"This battle already has a vote ({earlier.get_outcome_display()}); "
            "a battle takes one vote."
        )
    revealed = revealed_models.get((earlier.model_a_id, earlier.model_b_id))
    votes_cast = voter_vote_count(voter_key=earlier.voter_key)
    return VoteResult(vote=earlier, revealed=revealed, replayed=True, votes_cast=votes_cast)
