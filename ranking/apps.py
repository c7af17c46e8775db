from django.apps import AppConfig


class RankingConfig(AppConfig):
    name = "ranking"
    verbose_name = "Ranking"

    def ready(self) -> None:
        from arena.signals import data_imported
        from ranking.catch_up import catch_up_after_import

        data_imported.connect(catch_up_after_import, dispatch_uid="ranking-catch-up")
