"""Deployment settings: PostgreSQL, Redis, HTTPS. ``manage.py check --deploy`` is clean.

Everything of base applies; what differs is refused rather than defaulted: the secret key,
the database and Redis must come from the environment.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import POSTGRESQL_ENGINE, env_bool, env_int, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, DEBUG, REDIS_URL

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off with config.settings.production.")

SECRET_KEY = env_str("SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for production: use at least 50 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
env_str("DATABASE_URL")  # required: production never falls back to the SQLite file
if DATABASES["default"]["ENGINE"] != POSTGRESQL_ENGINE:
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL in production.")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set in production (cache and Celery broker).")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Health probes come over plain HTTP from inside the network (compose, load balancers).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
