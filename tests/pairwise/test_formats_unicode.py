"""A JSON escape of a lone surrogate ("\\udcff") decodes to text that is not Unicode: the
reader reports the row instead of crashing later while hashing or storing it. (The
incremental C parser stops at it, so the error names the battle, not its field.)"""

import pytest
from django.core.management.base import CommandError

from arena.models import Vote
from pairwise.formats import parse_clean_battle_json
from tests.arena.import_helpers import import_votes

LONE_SURROGATE = (
    b'[{"model_a": "a\\udcff", "model_b": "b", "winner": "model_a", "tstamp": 1700000000}]'
)


def test_a_lone_surrogate_is_a_row_error():
    parsed = parse_clean_battle_json(LONE_SURROGATE)
    assert parsed.rows == []
    assert [e.row for e in parsed.errors] == [1]
    assert "not valid Unicode text" in str(parsed.errors[0])


@pytest.mark.django_db
def test_the_import_command_reports_it_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "battles.json"
    path.write_bytes(LONE_SURROGATE)
    with pytest.raises(CommandError, match="nothing was written"):
        import_votes(path, "clean_battle", "--create-models")
    assert "row 1: is not valid Unicode text" in capsys.readouterr().err
    assert not Vote.objects.exists()
