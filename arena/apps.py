from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _forget_revealed_models(**kwargs: object) -> None:
    """An edit of a model or a lab is revealed at once by this process; other processes
    read theirs again within ``arena.services.REVEAL_CACHE_SECONDS``."""
    from arena.services import revealed_models

    revealed_models.clear()


class ArenaConfig(AppConfig):
    name = "arena"
    verbose_name = "Arena"

    def ready(self) -> None:
        from arena.models import AIModel, Lab

        for model in (AIModel, Lab):
            post_save.connect(_forget_revealed_models, sender=model)
            post_delete.connect(_forget_revealed_models, sender=model)
