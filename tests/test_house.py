"""House rules no linter checks: what the code imports is declared, and nothing imports in circles."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from graphlib import CycleError, TopologicalSorter
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OURS = tuple(PYPROJECT["tool"]["importlinter"]["root_packages"])


def _imports(package: str) -> set[str]:
    """Top-level names of every module imported anywhere in `package` (type-checking imports too)."""
    names: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts and "versions" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _declared() -> set[str]:
    """Distribution names in [project] dependencies, normalised (lower case, '-' for '_' and '.')."""
    names = set()
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement)
        assert name is not None, requirement
        names.add(re.sub(r"[-_.]+", "-", name.group(0)).lower())
    return names


def test_every_third_party_import_of_the_product_is_a_declared_dependency() -> None:
    declared = _declared()
    distributions = packages_distributions()
    undeclared = []
    for package in OURS:
        for name in sorted(_imports(package)):
            if name in sys.stdlib_module_names or name in OURS:
                continue
            dists = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(name, [name])}
            if not dists & declared:
                undeclared.append(f"{package} imports {name} ({', '.join(sorted(dists))})")
    assert not undeclared, "imported but not in [project] dependencies: " + "; ".join(undeclared)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Each of our modules -> our modules it imports, anywhere in it (`if TYPE_CHECKING:` too).
    `from package import name` imports the submodule `name` when there is one, else the package."""
    paths = {
        _module_name(p): p
        for package in OURS
        for p in (ROOT / package).rglob("*.py")
        if not ("migrations" in p.parts and "versions" in p.parts)
    }
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names]
            for name in names:
                while name and name not in paths:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    found.add(name)
        graph[module] = found
    return graph


def test_no_import_cycle_among_our_modules_not_even_through_type_hints() -> None:
    graph = _import_graph()
    assert "scheduler.health" in graph["scheduler.runtime"]  # the walk sees `from scheduler import health`
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_the_image_copies_every_package_the_product_installs() -> None:
    """The Dockerfile copies packages one by one (a cached layer each); one left out builds an image
    that fails at its first import (`ask` was, and `finsignal status` died with ModuleNotFoundError)."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.MULTILINE))
    installed = {p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert installed - copied == set()
    assert sorted(installed) == sorted(OURS)
