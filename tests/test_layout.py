"""The package's shape: gradio only in generative/ui, no pickle-based loading anywhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "generative"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_ui_package_imports_gradio():
    offenders = [
        str(p.relative_to(ROOT))
        for p in PACKAGE.rglob("*.py")
        if "ui" not in p.relative_to(PACKAGE).parts and "gradio" in _imports(p)
    ]
    assert offenders == []


def test_no_pickle_based_loading():
    calls = ["torch" + r"\.load\(", "pickle" + r"\.loads?\(", "allow_pickle" + "=True"]  # split: not a hit itself
    pattern = re.compile("|".join(calls))
    offenders = []
    for path in [*ROOT.glob("*.py"), *PACKAGE.rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        for line in path.read_text().splitlines():
            if pattern.search(line) and "weights_only=True" not in line:
                offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []


def test_every_asset_has_a_licence_entry():
    licences = (ROOT / "assets" / "LICENSES.md").read_text()
    missing = [p.name for p in (ROOT / "assets").iterdir() if p.name != "LICENSES.md" and p.name not in licences]
    assert missing == []
