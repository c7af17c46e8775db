"""Every setting of Arena, read from environment variables (see the README's table).

This module is the embedded default: with no variable set it runs on SQLite, a filesystem
Celery broker and a file cache under ``var/``, so a fresh machine needs no server.
``config.settings.production`` tightens it for deployment; ``config.settings.test`` for tests.
"""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import (
    POSTGRESQL_ENGINE,
    env_bool,
    env_database,
    env_int,
    env_list,
    env_object_storage,
    env_str,
    env_url,
)
from ranking.stats import min_bootstrap_rounds

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("ARENA_VAR_DIR", str(BASE_DIR / "var"))).resolve()


def _local_secret_key(path: Path) -> str:
    """A per-installation key kept in ``var/``, so the embedded default needs no setup."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", None) or _local_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "arena",
    "ranking",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.headers.SecurityHeadersMiddleware",
    "config.headers.DataLicenceMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# --- Security headers (config/headers.py adds the two policies) ------------------------
# Every HTML page: scripts, stylesheets, fonts and media from this site only; data: images
# (Swagger UI draws some); no plugins, no framing, forms post here only. Inline style
# attributes are allowed (style-src-attr): the vendored ECharts positions its tooltips with
# them. No inline <style> element and no inline script of any kind.
ARENA_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ARENA_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Django's database sessions, read with one SQL statement (config/sessions.py).
SESSION_ENGINE = "config.sessions"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # An operator's own texts (notice, privacy page, banner) first: docs/deployment.md.
        "DIRS": [*env_list("ARENA_TEMPLATE_DIRS", []), BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "arena.site_data.site_data",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'arena.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == POSTGRESQL_ENGINE:
    # Parameters go to the server apart from the statement, and a statement run five times
    # on a connection is prepared there: PostgreSQL then neither parses nor (once its
    # generic plan is as cheap as the custom ones) plans it again, which was a third of its
    # processor time per vote (docs/decisions.md, "Prepared statements"). A pooler that
    # cannot carry prepared statements (pgbouncer before 1.21 in transaction mode) needs
    # DATABASE_PREPARED_STATEMENTS=false.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None,
    )
# Behind pgbouncer in transaction mode a cursor cannot outlive its transaction's server
# connection: read big querysets in chunks client-side instead (docs/deployment.md).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS", False
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside the writer, and
    # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
    # Connections persist like PostgreSQL's: gunicorn's threads are a fixed pool.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker, Celery --------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", None, schemes={"redis", "rediss"})

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A cache outage must never take a page (or a vote) down with it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    REDIS_URL or "filesystem://",
    schemes={"redis", "rediss", "amqp", "filesystem", "memory"},
)
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 900, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60 if CELERY_TASK_TIME_LIMIT > 120 else None
# Background records (snapshots, uploads) are claimed with a lease that the worker renews
# every third of its length while it works; a record whose lease ran out (its worker died)
# is taken over, by a redelivered message or by the sweep (docs/reliability.md).
ARENA_LEASE_SECONDS = env_int("ARENA_LEASE_SECONDS", 60, minimum=3)
# How often the sweep looks for lost messages and expired leases.
ARENA_SWEEP_SECONDS = env_int("ARENA_SWEEP_SECONDS", 30, minimum=1)
# A pending record whose message was sent this long ago without a worker claiming it is
# sent again (its message may have been lost with the broker; a duplicate is harmless).
ARENA_RESEND_AFTER_SECONDS = env_int("ARENA_RESEND_AFTER_SECONDS", 300, minimum=1)
# A record whose worker died this many times is marked failed instead of taken over again.
ARENA_MAX_ATTEMPTS = env_int("ARENA_MAX_ATTEMPTS", 3, minimum=1)
# A task acknowledged late is handed to another worker when its worker dies without
# acknowledging it, after this long. Leases (not this timeout) keep a slow task from running
# twice, and the sweep recovers a dead worker's record sooner, so it need not exceed the
# longest task.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 300, minimum=10)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Kombu's filesystem transport, each message written whole before a reader can see it.
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Exchange tables; kombu's default is ./control, wherever the process started.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # Look for messages of dead workers every 5 s (not kombu's default 100 s), so a task
        # is redelivered soon after its visibility timeout.
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
# Several installations may share one Redis: give each its own queue name. Fits and
# imports go to this queue; housekeeping (heartbeat, sweeps, refreshes, pruning) goes to its
# own queue, served by a worker started with --housekeeping, so it never waits behind fits.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "arena")
CELERY_HOUSEKEEPING_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}.housekeeping"
HOUSEKEEPING_TASKS = [
    "arena.tasks.worker_heartbeat_task",
    "arena.tasks.upload_sweep_task",
    "arena.tasks.housekeeping_prune_task",
    "arena.tasks.serving_plans_refresh_task",
    "ranking.tasks.snapshot_sweep_task",
    "ranking.tasks.snapshot_refresh_task",
    "ranking.tasks.fanout_prune_task",
]
CELERY_TASK_ROUTES = {name: {"queue": CELERY_HOUSEKEEPING_QUEUE} for name in HOUSEKEEPING_TASKS}
# Not beat's: sent as a worker starts and after each import (RANKING_CATCH_UP), but like the
# refresh it only queues fits, so it never waits behind them.
CELERY_TASK_ROUTES["ranking.tasks.boards_catch_up_task"] = {"queue": CELERY_HOUSEKEEPING_QUEUE}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Only the beat holding the lease sends (arena.beat): a second beat stands by.
CELERY_BEAT_SCHEDULER = "arena.beat:SingleBeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = max(1, ARENA_LEASE_SECONDS // 3)

ARENA_HEARTBEAT_SECONDS = env_int("ARENA_HEARTBEAT_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "arena.tasks.worker_heartbeat_task",
        "schedule": float(ARENA_HEARTBEAT_SECONDS),
        # A heartbeat that waited longer than its period says nothing: drop it.
        "options": {"expires": float(ARENA_HEARTBEAT_SECONDS)},
    },
    "snapshot-sweep": {
        "task": "ranking.tasks.snapshot_sweep_task",
        "schedule": float(ARENA_SWEEP_SECONDS),
        "options": {"expires": float(ARENA_SWEEP_SECONDS)},
    },
    "upload-sweep": {
        "task": "arena.tasks.upload_sweep_task",
        "schedule": float(ARENA_SWEEP_SECONDS),
        "options": {"expires": float(ARENA_SWEEP_SECONDS)},
    },
    "housekeeping-prune": {
        "task": "arena.tasks.housekeeping_prune_task",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}

# --- Voting ------------------------------------------------------------------------------
# A battle can be voted on for this long after it was served.
ARENA_BATTLE_TTL_SECONDS = env_int("ARENA_BATTLE_TTL_SECONDS", 3600, minimum=30)
# Votes cast faster than this after the battle was served are kept but excluded ("too_fast").
ARENA_MIN_READ_SECONDS = env_int("ARENA_MIN_READ_SECONDS", 3, minimum=0)
# Votes over these rates get 429 and are kept but excluded ("rate_limit").
ARENA_VOTES_PER_MINUTE_PER_SESSION = env_int("ARENA_VOTES_PER_MINUTE_PER_SESSION", 12, minimum=1)
ARENA_VOTES_PER_MINUTE_PER_IP = env_int("ARENA_VOTES_PER_MINUTE_PER_IP", 60, minimum=1)
# Battles served to one session per minute before 429 (stops scraping of outputs).
ARENA_BATTLES_PER_MINUTE_PER_SESSION = env_int(
    "ARENA_BATTLES_PER_MINUTE_PER_SESSION", 30, minimum=1
)
# Votes beyond this many per voter in 24 hours are kept but excluded ("daily_cap").
ARENA_DAILY_VOTE_CAP = env_int("ARENA_DAILY_VOTE_CAP", 500, minimum=1)
# The request header holding the client address behind trusted proxies (e.g. HTTP_X_REAL_IP,
# HTTP_X_FORWARDED_FOR), and how many proxies append to it: the client address is the entry
# that many places from the right (the entries left of it are whatever the client sent).
ARENA_CLIENT_IP_HEADER = env_str("ARENA_CLIENT_IP_HEADER", "REMOTE_ADDR")
ARENA_TRUSTED_PROXY_COUNT = env_int("ARENA_TRUSTED_PROXY_COUNT", 1, minimum=1)
# A voter sees their own leaderboard after this many votes.
ARENA_PERSONAL_BOARD_MIN_VOTES = env_int("ARENA_PERSONAL_BOARD_MIN_VOTES", 20, minimum=1)
# A voter's count drops the votes the checks excluded only once they are this old, so nobody
# can find the thresholds by watching the counter vote by vote (docs/decisions.md).
ARENA_VOTE_COUNT_SETTLE_HOURS = env_int("ARENA_VOTE_COUNT_SETTLE_HOURS", 24, minimum=0)
# Pair sampling: a model with fewer counted votes than this is "new" and served more often.
ARENA_NEW_MODEL_VOTES = env_int("ARENA_NEW_MODEL_VOTES", 300, minimum=0)
ARENA_NEW_MODEL_BOOST = env_int("ARENA_NEW_MODEL_BOOST", 4, minimum=0)
# ... and a model with fewer votes than the median is weighted up until it catches up.
ARENA_UNDER_VOTED_BOOST = env_int("ARENA_UNDER_VOTED_BOOST", 4, minimum=0)
# The serving plan (arena.serving_plan, docs/voting.md "Serving at size"): how often the
# worker adds new votes to it (a model added to a set is servable within this), how often it
# recounts every vote, and how often a web process checks for a newer plan.
ARENA_SERVING_PLAN_REFRESH_SECONDS = env_int("ARENA_SERVING_PLAN_REFRESH_SECONDS", 60, minimum=1)
ARENA_SERVING_PLAN_RECOUNT_SECONDS = env_int("ARENA_SERVING_PLAN_RECOUNT_SECONDS", 3600, minimum=1)
ARENA_SERVING_PLAN_RECHECK_SECONDS = env_int("ARENA_SERVING_PLAN_RECHECK_SECONDS", 5, minimum=0)

# --- Uploads -----------------------------------------------------------------------------
# Limits on uploaded sets (docs/uploads.md). Media limits: unset variables keep the defaults
# of arena.media.MediaLimits, so each default is written once.
_MEDIA_LIMIT_VARIABLES = {
    "max_image_bytes": "ARENA_MAX_IMAGE_BYTES",
    "max_video_bytes": "ARENA_MAX_VIDEO_BYTES",
    "max_image_pixels": "ARENA_MAX_IMAGE_PIXELS",
    "max_video_seconds": "ARENA_MAX_VIDEO_SECONDS",
    "max_archive_members": "ARENA_MAX_ARCHIVE_MEMBERS",
    "max_archive_bytes": "ARENA_MAX_ARCHIVE_BYTES",
    "max_compression_ratio": "ARENA_MAX_COMPRESSION_RATIO",
}
ARENA_MEDIA_LIMITS = {
    key: value
    for key, variable in _MEDIA_LIMIT_VARIABLES.items()
    if (value := env_int(variable, 0, minimum=1 if variable in os.environ else 0))
}
# A prompt or a text output longer than this refuses its row.
ARENA_MAX_TEXT_CHARS = env_int("ARENA_MAX_TEXT_CHARS", 100_000, minimum=1)
# The admin upload form refuses a larger manifest.
ARENA_MAX_MANIFEST_BYTES = env_int("ARENA_MAX_MANIFEST_BYTES", 200 * 1024 * 1024, minimum=1)
# Per lab name, the regular expressions that name it in an identity leak ("As a <name>
# model..."), replacing arena.leaks.DEFAULT_LAB_NAMES for that lab; set it in a settings
# module, e.g. {"Owl Labs": [r"Owl ?Labs?", r"Hoot"]}.
ARENA_IDENTITY_NAMES: dict[str, list[str]] = {}

# --- Ratings -----------------------------------------------------------------------------
RANKING_REFRESH_MINUTES = env_int("RANKING_REFRESH_MINUTES", 10, minimum=1)
# 0 gives analytic intervals; a bootstrap needs at least min_bootstrap_rounds() (100 at 95%).
RANKING_BOOTSTRAP_ROUNDS = env_int("RANKING_BOOTSTRAP_ROUNDS", 1000, minimum=0)
if 0 < RANKING_BOOTSTRAP_ROUNDS < min_bootstrap_rounds():
    raise ImproperlyConfigured(
        f"RANKING_BOOTSTRAP_ROUNDS={RANKING_BOOTSTRAP_ROUNDS} is too few: use 0 (analytic "
        f"intervals) or at least {min_bootstrap_rounds()} bootstrap rounds."
    )
# The scheduled refresh also makes style-controlled boards (length and Markdown held equal)
# for modalities with text outputs.
RANKING_STYLE_CONTROL = env_bool("RANKING_STYLE_CONTROL", True)
RANKING_SEED = env_int("RANKING_SEED", 20240814, minimum=0)
# Category and language snapshots are refreshed only with at least this many counted votes.
RANKING_MIN_SCOPE_VOTES = env_int("RANKING_MIN_SCOPE_VOTES", 500, minimum=1)
# Leaderboards mark models with fewer votes than this as provisional.
RANKING_PROVISIONAL_VOTES = env_int("RANKING_PROVISIONAL_VOTES", 300, minimum=0)
# The frontier: a model needs this many votes (in the snapshot) to be a country's best;
# fewer, and it is shown apart as provisional.
RANKING_FRONTIER_MIN_VOTES = env_int("RANKING_FRONTIER_MIN_VOTES", 300, minimum=0)

# Figures: the licence line printed under every downloadable chart (and its CSV's rows).
ARENA_DATA_LICENCE = env_str(
    "ARENA_DATA_LICENCE", "Data: Arena votes and ratings, licensed CC BY 4.0"
)
# The licence's address: every API response and download links to it (Link: rel="license").
ARENA_DATA_LICENCE_URL = env_str(
    "ARENA_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/"
)
# The first-visit notice is shown again to everyone when this changes (new terms).
ARENA_NOTICE_VERSION = env_str("ARENA_NOTICE_VERSION", "1")


# Per-modality anchors, "text:mixtral-8x7b-instruct-v0.1=1114,image:...=1000"; without one the
# mean score is 1000. An anchor keeps consecutive snapshots on one scale.
def _anchors(items: list[str]) -> dict[str, tuple[str, float]]:
    anchors = {}
    for item in items:
        modality, _, rest = item.partition(":")
        key, _, text = rest.rpartition("=")
        try:
            score = float(text)
        except ValueError:
            score = math.nan
        if modality not in {"text", "image", "video"} or not key or not math.isfinite(score):
            raise ImproperlyConfigured(
                f"RANKING_ANCHORS item {item!r} must read MODALITY:MODEL=SCORE with a finite "
                "score, e.g. text:mixtral-8x7b-instruct-v0.1=1114."
            )
        anchors[modality] = (key, score)
    return anchors


RANKING_ANCHORS = _anchors(env_list("RANKING_ANCHORS", ["text:mixtral-8x7b-instruct-v0.1=1114"]))
CELERY_BEAT_SCHEDULE["serving-plans-refresh"] = {
    "task": "arena.tasks.serving_plans_refresh_task",
    "schedule": float(ARENA_SERVING_PLAN_REFRESH_SECONDS),
    "options": {"expires": float(ARENA_SERVING_PLAN_REFRESH_SECONDS)},
}
CELERY_BEAT_SCHEDULE["rating-snapshots-refresh"] = {
    "task": "ranking.tasks.snapshot_refresh_task",
    "schedule": float(RANKING_REFRESH_MINUTES * 60),
    "options": {"expires": float(RANKING_REFRESH_MINUTES * 60)},
}
# When a worker starts and after every import, queue the missing boards and month-end
# history at once (ranking.scheduling.boards_catch_up) instead of at beat's first tick.
RANKING_CATCH_UP = env_bool("RANKING_CATCH_UP", True)

# --- Rigging resistance (docs/voting.md, "Manipulation") -----------------------------------
# Battles served to one client address and to one network (IPv4 /24, IPv6 /48) before 429.
ARENA_BATTLES_PER_MINUTE_PER_IP = env_int("ARENA_BATTLES_PER_MINUTE_PER_IP", 30, minimum=1)
ARENA_BATTLES_PER_HOUR_PER_IP = env_int("ARENA_BATTLES_PER_HOUR_PER_IP", 600, minimum=1)
ARENA_BATTLES_PER_MINUTE_PER_NETWORK = env_int(
    "ARENA_BATTLES_PER_MINUTE_PER_NETWORK", 120, minimum=1
)
ARENA_BATTLES_PER_HOUR_PER_NETWORK = env_int("ARENA_BATTLES_PER_HOUR_PER_NETWORK", 2400, minimum=1)
# Proof of work before a battle is served: leading zero bits of SHA-256 (0: off). For a
# deployment under attack: 16 bits cost a browser about 65,000 hashes per battle.
ARENA_SERVING_POW_BITS = env_int("ARENA_SERVING_POW_BITS", 0, minimum=0)
# Manipulation checks over the votes of the last hours, run by beat every few minutes.
RANKING_INTEGRITY_MINUTES = env_int("RANKING_INTEGRITY_MINUTES", 10, minimum=1)
RANKING_INTEGRITY_WINDOW_HOURS = env_int("RANKING_INTEGRITY_WINDOW_HOURS", 24, minimum=1)
# A session or network is flagged when a test's p-value is below 10^-N (N = this; each test
# runs once per session or network and model, so honest false flags stay far below 1%).
RANKING_INTEGRITY_LOG10_P = env_int("RANKING_INTEGRITY_LOG10_P", 6, minimum=1)
# Tests need at least this many counted votes of the session or network.
RANKING_INTEGRITY_MIN_VOTES = env_int("RANKING_INTEGRITY_MIN_VOTES", 4, minimum=1)
# When all recent votes favour one model beyond the ratings (p below 10^-LOG10_P), sessions
# selective for it and favouring it are flagged from 2 votes on, at p below 10^-N (N = this).
RANKING_INTEGRITY_ATTACKED_LOG10_P = env_int("RANKING_INTEGRITY_ATTACKED_LOG10_P", 2, minimum=1)
CELERY_BEAT_SCHEDULE["vote-integrity-check"] = {
    "task": "ranking.tasks.vote_integrity_task",
    "schedule": float(RANKING_INTEGRITY_MINUTES * 60),
    "options": {"expires": float(RANKING_INTEGRITY_MINUTES * 60)},
}

# --- Scale (docs/performance.md) ----------------------------------------------------------
# A refresh adds the votes since the scope's previous snapshot to its counts; every this
# many incremental counts in a row, one full count instead (0: always count in full).
RANKING_FULL_COUNT_EVERY = env_int("RANKING_FULL_COUNT_EVERY", 100, minimum=0)
# Hours between full recounts that check the latest incremental counts of every scope.
RANKING_RECOUNT_HOURS = env_int("RANKING_RECOUNT_HOURS", 24, minimum=1)
# Cores of the rating engine per Celery process (BLAS threads, and bootstrap workers forked
# from the process on Linux): one by default, so `--concurrency N` uses N cores; raise it
# with fewer processes than cores.
RANKING_ENGINE_THREADS = env_int("RANKING_ENGINE_THREADS", 1, minimum=1)
# A bootstrap of at least this many cells x rounds is fanned out over the Celery workers in
# chunks of blocks (0: never), whatever the tie model (a Davidson round costs about 2.5-3x
# a ties-as-half one); a worker's claim on a chunk lapses after the lease.
RANKING_FANOUT_MIN_WORK = env_int("RANKING_FANOUT_MIN_WORK", 0, minimum=0)
RANKING_FANOUT_CHUNK_BLOCKS = env_int("RANKING_FANOUT_CHUNK_BLOCKS", 8, minimum=1)
RANKING_FANOUT_LEASE_SECONDS = env_int("RANKING_FANOUT_LEASE_SECONDS", 300, minimum=10)
# Seconds the computing process leaves the chunks to the workers before taking unclaimed ones.
RANKING_FANOUT_COORDINATOR_WAIT = env_int("RANKING_FANOUT_COORDINATOR_WAIT", 0, minimum=0)
# Fan-out files left behind (an attempt that died, a chunk stored after its snapshot was done)
# are removed hourly once all of a plan's files are this old and its snapshot is not running.
RANKING_FANOUT_KEEP_HOURS = env_int("RANKING_FANOUT_KEEP_HOURS", 6, minimum=1)
CELERY_BEAT_SCHEDULE["fanout-prune"] = {
    "task": "ranking.tasks.fanout_prune_task",
    "schedule": 3600.0,
    "options": {"expires": 3600.0},
}
# Media range requests: "" streams from storage; "x-accel-redirect" (nginx, MEDIA_ROOT served
# at ARENA_MEDIA_INTERNAL_URL as an `internal` location) or "x-sendfile" hand the bytes to
# the web server.
ARENA_MEDIA_SENDFILE = env_str("ARENA_MEDIA_SENDFILE", "")
ARENA_MEDIA_INTERNAL_URL = env_str("ARENA_MEDIA_INTERNAL_URL", "/internal-media/")
if ARENA_MEDIA_SENDFILE not in {"", "x-accel-redirect", "x-sendfile"}:
    raise ImproperlyConfigured(
        f"ARENA_MEDIA_SENDFILE={ARENA_MEDIA_SENDFILE!r}: use x-accel-redirect, x-sendfile or leave "
        "it empty"
    )
CELERY_BEAT_SCHEDULE["rating-counts-recount"] = {
    "task": "ranking.tasks.snapshot_recount_task",
    "schedule": float(RANKING_RECOUNT_HOURS * 3600),
}

# --- Auth, i18n, files ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Media, snapshot files and staged uploads: under MEDIA_ROOT, or in an S3-compatible object
# store when ARENA_S3_BUCKET is set (every web and worker host then shares it; docs/deployment.md).
OBJECT_STORAGE = env_object_storage()
STORAGES = {
    "default": OBJECT_STORAGE or {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if OBJECT_STORAGE and ARENA_MEDIA_SENDFILE:
    raise ImproperlyConfigured(
        "ARENA_MEDIA_SENDFILE hands a local file to the web server: "
        "leave it empty with ARENA_S3_BUCKET."
    )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "arena.authentication.SessionCsrfAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # An unreachable database or broker answers 503 with Retry-After, not a 500.
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Arena API",
    "DESCRIPTION": (
        "Blind battles, votes, leaderboards and rating snapshots.\n\n"
        "Every response names the data's licence in two headers: `Link: <licence URL>; "
        'rel="license"` and `X-Data-Licence` (the operator\'s ARENA_DATA_LICENCE_URL and '
        "ARENA_DATA_LICENCE). While the installation holds demo data, `X-Arena-Demo-Data` is "
        "set too, and downloaded files are named `arena-demo-...`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The reference view of bench/throughput.py (/bench/insert/, writes a row per request): for
# benchmarks only, never in a deployment.
ARENA_BENCH_VIEWS = env_bool("ARENA_BENCH_VIEWS", False)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r} is not a level; use DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
