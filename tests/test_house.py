"""The house rules a reader relies on: every import is declared, and nothing reaches code by its path."""

import ast
import importlib.metadata
import re
import sys

import pytest
from conftest import ROOT


def imported_modules(folders) -> dict[str, str]:
    """Top-level modules imported by the .py files under ``folders``: module -> one file importing it."""
    found = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def declared(*requirement_files) -> set[str]:
    """Distribution names pinned in the requirement files (following -r), normalised."""
    names = set()
    for file in requirement_files:
        for line in (ROOT / file).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line.startswith("-r "):
                names |= declared(line[3:].strip())
            elif line and not line.startswith("-"):
                names.add(re.split(r"[\[=<>~! ]", line)[0].lower().replace("_", "-"))
    return names


def undeclared(modules: dict[str, str], requirements: set[str], ours: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, where in modules.items():
        if module in ours or module in sys.stdlib_module_names:
            continue
        names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if not names & requirements:
            missing.append(f"{module} (imported in {where}, from {', '.join(sorted(names))})")
    return missing


@pytest.mark.parametrize(
    "folders, requirements, ours",
    [
        (["mnist_flax", "demo"], ["requirements.txt"], {"mnist_flax", "demo"}),  # all a Space has
        (["scripts"], ["requirements.txt"], {"mnist_flax", "demo", "bench"}),  # a checkout with the package installed
        (
            ["tests", "bench"],
            ["requirements-dev.txt", "requirements-compare.txt"],
            {"mnist_flax", "demo", "bench", "conftest"},
        ),
    ],
)
def test_every_import_is_pinned_in_requirements(folders, requirements, ours):
    assert undeclared(imported_modules(folders), declared(*requirements), ours) == []


def test_no_code_reaches_another_module_by_its_path():
    """Packages are imported as packages; only the Space's entry point puts the checkout on sys.path."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("mnist_flax", "demo", "bench", "scripts", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"sys\.path\.(insert|append)|spec_from_file_location", path.read_text())
        and path != ROOT / "demo" / "app.py"
        and path != ROOT / "tests" / "test_house.py"
    ]
    assert offenders == []
