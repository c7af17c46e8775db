"""Errors in the product's own words when what it depends on is unreachable.

A database, broker or object-store outage is not a bug of the request: the API answers
``503`` with ``{"detail": ...}`` and ``Retry-After`` (as its other refusals are worded), pages
answer a styled 503 page, never Django's bare "Server Error (500)". Two entry points share one
decision:

* ``api_exception_handler``, DRF's ``EXCEPTION_HANDLER``, for errors inside an API view
  (authentication included: reading the session needs the database);
* ``server_error``, the project's ``handler500``, for everything else that escaped a view
  or a middleware (Django calls it while handling the exception): a media request whose
  object store is down is answered here.

Any other exception stays a 500 and is logged as one.
"""

from __future__ import annotations

import sys

import botocore.exceptions
import kombu.exceptions
import redis.exceptions
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from rest_framework.response import Response
from rest_framework.views import exception_handler

#: Seconds a client should wait before trying again.
RETRY_AFTER_SECONDS = 30

#: Errors that say "a server we need is unreachable": the database (connection refused,
#: lost, or a lock it gave up on), the broker (kombu), Redis used directly, the object store
#: (no connection, or a connection lost or timed out, after botocore's retries).
UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    botocore.exceptions.ConnectionError,
    botocore.exceptions.HTTPClientError,
)


def is_outage(error: BaseException | None) -> bool:
    """Whether ``error`` says a server we need is unreachable: one of ``UNAVAILABLE``, or
    the object store answering a 5xx (``503 Slow Down``...) after its retries."""
    if isinstance(error, botocore.exceptions.ClientError):
        return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
    return isinstance(error, UNAVAILABLE)


API_DETAIL = "The service is temporarily unavailable; please retry in a moment."


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if is_outage(exc):
        return Response(
            {"detail": API_DETAIL},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return exception_handler(exc, context)


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 of a page or an API path. The page is rendered without the request, so no
    context processor touches the session (hence the database) that is down."""
    if _is_api(request):
        response = JsonResponse({"detail": API_DETAIL}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: an API path answers in the API's words (``{"detail": ...}``), as its
    views do, also when no route matches; pages get the site's 404 page (templates/404.html)."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a 503 when the exception being handled is an outage, else the
    standalone 500 page (templates/500.html: no base template, nothing that could fail
    again), or a JSON 500 on API paths."""
    if is_outage(sys.exc_info()[1]):
        return unavailable(request)
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return defaults.server_error(request)
