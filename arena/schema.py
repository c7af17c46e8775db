"""OpenAPI descriptions drf-spectacular cannot infer by itself."""

from drf_spectacular.authentication import SessionScheme


class SessionCsrfScheme(SessionScheme):
    """The session cookie, as for DRF's SessionAuthentication (CSRF is checked for all)."""

    target_class = "arena.api.SessionCsrfAuthentication"
