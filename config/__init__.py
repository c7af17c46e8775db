# Importing the app here binds @shared_task to it in every process that loads Django.
from config.celery import app as celery_app

__all__ = ("celery_app",)
