from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from arena import views

handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

urlpatterns = [
    path("", include("arena.urls")),
    path("", include("ranking.urls")),
    path("", include("arena.urls_media")),
    path("healthz", views.healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI with its start-up script served as a file and its page style in a
    # stylesheet: nothing inline for the Content-Security-Policy to refuse.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]

if settings.ARENA_BENCH_VIEWS:
    from config.bench import insert_one_row

    urlpatterns.append(path("bench/insert/", insert_one_row, name="bench-insert"))
