"""Signals arena sends for whoever keeps data derived from it fresh (arena imports nothing
of theirs: ranking connects to them in its AppConfig)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once an import (votes, a prompt/output set, the demo) has written new data; the
# receivers act on commit. Keyword argument: ``what`` ("votes", "set" or "demo").
data_imported = Signal()
