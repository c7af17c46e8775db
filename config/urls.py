from django.contrib import admin
from django.urls import include, path

from arena import views

urlpatterns = [
    path("", include("arena.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
