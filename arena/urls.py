from django.urls import path

from arena import api, views, views_site

app_name = "arena"

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views_site.privacy, name="privacy"),
    path("status/", views_site.status_page, name="status"),
    path("notice/ok/", views_site.notice_dismiss, name="notice-dismiss"),
    path("favicon.ico", views_site.favicon, name="favicon"),
    path("arena/<str:modality>/", views.battle, name="battle"),
    path("arena/<str:modality>/card/", views.battle_card, name="battle-card"),
    path("arena/<str:modality>/voter/", views.voter_panel, name="voter"),
    path("arena/<str:modality>/vote/", views.vote, name="vote"),
    path("arena/<str:modality>/result/<str:token>/", views.result, name="result"),
    path("api/v1/battles/next/", api.BattleNextView.as_view(), name="api-battle-next"),
    path("api/v1/votes/", api.VoteView.as_view(), name="api-vote"),
    path("api/v1/me/", api.MeView.as_view(), name="api-me"),
]
