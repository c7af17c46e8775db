"""The embedded default's broker (config.broker) never hands a worker half a message."""

from __future__ import annotations

from queue import Empty

import pytest
from kombu import Connection

from config import broker


@pytest.fixture
def channel(tmp_path):
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
    with Connection("filesystem://", transport=broker.Transport, transport_options=options) as c:
        yield c.default_channel


def test_a_worker_polling_while_a_message_is_written_finds_nothing_then_all_of_it(
    channel, monkeypatch
):
    polled = []
    serialise = broker.dumps

    def serialise_while_a_worker_polls(payload):
        text = serialise(payload)  # the message file is open now, not yet written
        try:
            polled.append(channel._get("arena.housekeeping"))
        except Empty:
            polled.append(None)
        return text

    monkeypatch.setattr(broker, "dumps", serialise_while_a_worker_polls)
    channel._put("arena.housekeeping", {"body": "heartbeat"})
    assert polled == [None]  # kombu's own transport gave the worker an empty file here
    assert channel._get("arena.housekeeping") == {"body": "heartbeat"}
    with pytest.raises(Empty):
        channel._get("arena.housekeeping")


def test_the_embedded_settings_use_it():
    from django.conf import settings

    assert settings.CELERY_BROKER_URL.startswith("filesystem://")
    assert settings.CELERY_BROKER_TRANSPORT == "config.broker:Transport"
