import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_engine_does_not_import_django():
    code = "import sys, ranking.stats; assert 'django' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_the_ranking_package_init_stays_empty():
    assert (ROOT / "ranking" / "__init__.py").read_text().strip() == ""
