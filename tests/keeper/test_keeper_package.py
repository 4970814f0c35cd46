"""The keeper package is what an operator installs: it never reaches into the development world beside it
(``devworld``: devnet, market simulator, world deployment), and the package list ships nothing else."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]

IMPORT_ALL = """
import pkgutil, sys
import keeper
names = [m.name for m in pkgutil.walk_packages(keeper.__path__, "keeper.") if m.name != "keeper.__main__"]
for name in names:
    __import__(name)
assert keeper.__file__.startswith(sys.argv[1]), keeper.__file__
print(len(names), sorted(m for m in sys.modules if m == "devworld" or m.startswith("devworld.")))
"""


def test_keeper_modules__all_imported__devworld_not_loaded():
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, str(ROOT / "keeper")], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=1)
    assert int(out[0]) >= 15  # every module of the package was imported, not an empty walk
    assert out[1].strip() == "[]"


def test_keeper_sources__any_file__never_mention_devworld():
    mentions = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "keeper").rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and "devworld" in p.read_text(errors="replace")
    ]
    assert mentions == []


def test_pyproject__packages_found__keeper_only():
    section = re.search(
        r"^\[tool\.setuptools\.packages\.find\]\ninclude = (\[.*\])$", (ROOT / "pyproject.toml").read_text(), re.M
    )
    assert section is not None
    packages = find_packages(str(ROOT), include=ast.literal_eval(section.group(1)))
    assert "keeper" in packages and "keeper.risk" in packages
    assert [p for p in packages if p != "keeper" and not p.startswith("keeper.")] == []
