"""config/sessions.py: Django's database sessions, read with one SQL statement, keep
Django's rules: an unknown or expired key is never adopted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_reads_back():
    store = SessionStore()
    store["arena_voter"] = "v1"
    store.save()
    assert SessionStore(store.session_key)["arena_voter"] == "v1"


def test_an_unknown_key_is_replaced_when_the_session_is_saved():
    store = SessionStore("a" * 32)
    assert store.load() == {}
    store["arena_voter"] = "v2"
    store.save()
    assert store.session_key != "a" * 32
    assert not Session.objects.filter(session_key="a" * 32).exists()


def test_an_expired_session_is_not_read():
    store = SessionStore()
    store["arena_voter"] = "v3"
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    fresh = SessionStore(store.session_key)
    assert fresh.get("arena_voter") is None
    assert fresh.session_key is None


def test_the_project_uses_it(settings):
    assert settings.SESSION_ENGINE == "config.sessions"
