# One image for web (gunicorn), Celery worker and Celery beat; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    ARENA_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
RUN groupadd --system arena && useradd --system --gid arena --home-dir /app arena

# Exactly the locked versions (hashes checked), then the project itself without resolving.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --require-hashes --no-deps -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY arena ./arena
COPY ranking ./ranking
COPY config ./config
RUN pip install --no-deps --no-build-isolation .

COPY . .
# collectstatic needs settings but no services; the key below exists only for this step.
RUN DJANGO_SETTINGS_MODULE=config.settings.base SECRET_KEY=collectstatic-only \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var /app/media \
    && chown -R arena:arena /app/var /app/media

USER arena
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
