from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from arena.demo import CATALOGUE_PATH
from arena.models import AIModel, Lab

pytestmark = pytest.mark.django_db
HEADER = "key,display_name,organisation,country,release_date,licence,open_weights\n"
ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_catalogue_imports_then_reimports_unchanged(capsys):
    call_command("import_models", str(CATALOGUE_PATH))
    assert AIModel.objects.count() == 301
    call_command("import_models", str(CATALOGUE_PATH))
    assert capsys.readouterr().out.splitlines()[-1] == (
        "301 rows; labs: 0 created, 0 updated; models: 0 created, 0 updated, 301 unchanged"
    )


def test_the_shipped_catalogue_imports_its_openness_with_unknown_kept_apart():
    call_command("import_models", str(CATALOGUE_PATH))
    counts = {w: AIModel.objects.filter(weights=w).count() for w in AIModel.Weights}
    assert counts == {"open": 169, "proprietary": 130, "unknown": 2}


def test_a_model_made_by_hand_is_of_unknown_openness_until_someone_says():
    lab = Lab.objects.create(name="Lab A", country="US")
    model = AIModel.objects.create(key="new", display_name="New", lab=lab)
    assert model.weights == AIModel.Weights.UNKNOWN


def test_one_bad_row_refuses_the_whole_file_and_every_error_is_reported(tmp_path, capsys):
    path = tmp_path / "models.csv"
    path.write_text(
        HEADER + "good,Good,Lab A,US,2024-01-01,MIT,true\nbad,Bad,Lab B,XX,2024-13-01,MIT,maybe\n"
    )
    with pytest.raises(CommandError, match="refused: 3 problems; nothing written"):
        call_command("import_models", str(path))
    assert capsys.readouterr().err.splitlines() == [
        "row 3, country: 'XX' is not an ISO 3166-1 alpha-2 code",
        "row 3, release_date: '2024-13-01' is not a YYYY-MM-DD date",
        "row 3, open_weights: 'maybe' is not one of true/yes/open, false/no/proprietary, "
        "unknown, or blank",
    ]
    assert not AIModel.objects.exists() and not Lab.objects.exists()


def test_a_refused_import_exits_non_zero_without_a_traceback(tmp_path):
    """What an operator sees in a shell: the report and a non-zero exit status."""
    bad = tmp_path / "set.jsonl"
    bad.write_text('{"set": "S"}\nnot json\n')
    env_db = tmp_path / "db.sqlite3"
    for args in (
        ["import_set", str(bad)],
        [
            "import_votes",
            str(bad),
            "--format",
            "clean_battle",
            "--modality",
            "text",
            "--source",
            "x",
        ],
        ["import_models", str(bad)],
    ):
        run = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={
                "PATH": "/usr/bin:/bin",
                "ARENA_VAR_DIR": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{env_db}",
            },
            timeout=60,
        )
        assert run.returncode != 0, args
        assert "Traceback" not in run.stderr, run.stderr
        assert "row " in run.stderr or "refused" in run.stderr, run.stderr
