"""config.urls plus the media URLs, until config/urls.py includes them."""

from django.urls import include, path

from config.urls import urlpatterns as base

urlpatterns = [*base, path("", include("arena.urls_media"))]
