"""Django's PostgreSQL backend, with a health check that costs no round trip.

``CONN_HEALTH_CHECKS`` makes Django send ``SELECT 1`` before the first query of every
request (and of every Celery task) on a reused connection, so that a connection the server
has dropped (a restart, an administrator's ``pg_terminate_backend``, an idle timeout, a
pooler going away) is replaced instead of failing that request. A server that drops a
connection says so on its socket: it sends its last message (``FATAL: terminating
connection ...``) and closes it, both of which make an idle connection's socket readable.
A healthy idle connection has nothing to read. So the check first asks the socket, without
waiting, and only when something arrived does Django's ``SELECT 1`` decide. Measured in
docs/performance.md, "Fifth round".
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        """Django's check, asked of the socket first (see the module's docstring)."""
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if self._server_spoke() and not self.is_usable():
            self.close()
        self.health_check_done = True

    def _server_spoke(self) -> bool:
        """Whether anything (a message, the end of the stream) is waiting on the idle
        connection's socket; True when the socket cannot even be asked."""
        try:
            socket = select.poll()  # not select.select: it refuses descriptors above 1023
            socket.register(self.connection.fileno(), select.POLLIN)
            return bool(socket.poll(0))
        except Exception:  # a closed or broken connection: let SELECT 1 decide
            return True
