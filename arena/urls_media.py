"""Opaque media URLs. config/urls.py includes them:
``path("", include("arena.urls_media"))``."""

from __future__ import annotations

from django.urls import path

from arena.views_media import media_serve

app_name = "arena_media"

urlpatterns = [
    path("media/<str:kind>/<str:name>", media_serve, name="serve"),
]
