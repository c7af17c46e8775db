from django.urls import path, re_path

from ranking import api, figure_views, frontier_views, transparency_views, views

app_name = "ranking"

urlpatterns = [
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("leaderboard/<str:modality>/", views.leaderboard, name="leaderboard-modality"),
    path("leaderboard/<str:modality>/models/<str:key>/", views.model_page, name="model"),
    path(
        "api/v1/leaderboards/<str:modality>/", api.LeaderboardView.as_view(), name="api-leaderboard"
    ),
    path("frontier/", frontier_views.frontier_page, name="frontier"),
    path("frontier/summary/", frontier_views.frontier_summary_page, name="frontier-summary"),
    path("api/v1/frontier/", frontier_views.FrontierView.as_view(), name="api-frontier"),
    path("api/v1/frontier.csv", frontier_views.FrontierCSV.as_view(), name="api-frontier-csv"),
    re_path(
        r"^api/v1/frontier/(?P<chart>tops|lag)\.(?P<fmt>svg|png)$",
        frontier_views.FrontierFigure.as_view(),
        name="api-frontier-figure",
    ),
    path("api/v1/snapshots/", api.SnapshotList.as_view(), name="api-snapshots"),
    path("api/v1/snapshots/<int:pk>/", api.SnapshotDetail.as_view(), name="api-snapshot"),
    path(
        "api/v1/snapshots/<int:pk>/transparency/",
        transparency_views.TransparencyView.as_view(),
        name="api-snapshot-transparency",
    ),
    path(
        "leaderboard/snapshots/<int:pk>/how-made/",
        transparency_views.transparency_page,
        name="snapshot-transparency",
    ),
    re_path(
        r"^api/v1/snapshots/(?P<pk>\d+)/(?P<name>ratings\.csv|ratings\.json|pairs\.csv|replicates\.csv|data\.npz)$",
        api.SnapshotDownload.as_view(),
        name="api-snapshot-download",
    ),
    re_path(
        r"^api/v1/snapshots/(?P<pk>\d+)/win_rates\.(?P<fmt>csv|json)$",
        api.SnapshotWinRates.as_view(),
        name="api-snapshot-win-rates",
    ),
    re_path(
        r"^api/v1/snapshots/(?P<pk>\d+)/matrices/(?P<quantity>battles|wins|observed|predicted)\.(?P<fmt>csv|json)$",
        api.SnapshotWinRateMatrix.as_view(),
        name="api-snapshot-matrix",
    ),
    re_path(
        r"^api/v1/snapshots/(?P<pk>\d+)/figures/(?P<chart>scores|observed|predicted|battles)\.(?P<fmt>svg|png)$",
        figure_views.SnapshotFigure.as_view(),
        name="api-snapshot-figure",
    ),
    # A model key may hold "/", so the key is a path.
    path("api/v1/models/<path:key>/elo/", api.ModelEloView.as_view(), name="api-model-elo"),
]
