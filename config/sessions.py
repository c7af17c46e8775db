"""Django's database sessions, read with one SQL statement.

Every request of a voter reads its session (``SESSION_ENGINE = "config.sessions"``); built
with the ORM, that read cost about as much processor time as the vote's own statements
(docs/performance.md, "What a request costs"). Writing, expiry and clearing are Django's.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        data = self._session_data() if self.session_key else None
        if data is None:
            # As Django's: an unknown or expired key is dropped, so that saving the session
            # creates a new key rather than adopting one the client chose.
            self._session_key = None
            return {}
        return self.decode(data)

    def _session_data(self) -> str | None:
        model = self.model
        connection = connections[router.db_for_read(model)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {model._meta.db_table} "
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        return row[0] if row else None
