"""The embedded default's broker: kombu's filesystem transport, except that a message is
written under a name no reader takes and renamed into the queue folder once complete.

Kombu's own ``_put`` creates the message file under its final name and writes it after; a
worker polling the folder at that moment moves the empty or half-written file away and dies
on its JSON (seen under load: the housekeeper stopped with a ``JSONDecodeError``, and with it
the first boards of ``make run``). A rename within one folder is atomic, so a reader sees a
message whole or not at all."""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

#: Added to a message's name while it is written: the reader only takes names ending in
#: ``.<queue>.msg``.
PARTIAL = ".partial"


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: dict, **kwargs: object) -> None:
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        try:
            with open(final + PARTIAL, "wb") as partial:
                partial.write(str_to_bytes(dumps(payload)))
            os.replace(final + PARTIAL, final)
        except OSError as error:
            raise ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel
