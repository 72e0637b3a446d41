"""The package's house rules: imports flow one way down the pipeline, with no circle.

Every import counts, including those inside functions and under `TYPE_CHECKING`: a lazy import
upward is still a dependency upward.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generator.outputs.versions import tool_digest

PACKAGE = Path(__file__).resolve().parents[1] / "generator"
# Lowest first: a module may import from its own layer or a lower one, never a higher one.
LAYERS = ("core", "content", "patients", "render", "outputs", "mail", "cli")
TOP_LEVEL = {"__init__.py", "__main__.py", "cli.py"}


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (`generator.core.errors`)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in known and target != name}
    return found


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:  # `generator` itself: only the version
        return -1
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else LAYERS.index("cli")


GRAPH = {name: _imports(name, path, set(_modules())) for name, path in _modules().items()}


def test_only_the_cli_and_the_package_files_sit_at_the_top():
    top = {p.name for p in PACKAGE.iterdir() if p.suffix == ".py"}
    assert top <= TOP_LEVEL
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(LAYERS) - {"cli"}


@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_every_subpackage_says_what_it_owns_and_may_import(layer):
    doc = ast.get_docstring(ast.parse((PACKAGE / layer / "__init__.py").read_text()))
    assert doc and "May import" in doc


def test_no_module_imports_from_a_higher_layer():
    upward = sorted(
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if _layer(target) > _layer(name)
    )
    assert upward == []


def test_no_import_circle():
    circles = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(GRAPH[name]):
            if state.get(target) == "open":
                circles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_layer_rule_catches_an_upward_import(tmp_path):
    # The checker itself must be able to fail: a core module importing the CLI is caught.
    path = tmp_path / "errors.py"
    path.write_text("from generator.cli import main\nfrom ..outputs import build\n")
    imports = _imports("generator.core.errors", path, set(GRAPH))
    assert {"generator.cli", "generator.outputs"} <= imports
    assert all(_layer(target) > _layer("generator.core.errors") for target in imports)


def test_the_tool_digest_covers_every_module_of_every_subpackage(tmp_path, monkeypatch):
    # A change to any module, however deep, must change the digest (or rebuilds go stale).
    import generator.outputs.versions as versions

    copy = tmp_path / "generator"
    for path in PACKAGE.rglob("*.py"):
        target = copy / path.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    fake = copy / "outputs" / "versions.py"
    monkeypatch.setattr(versions, "__file__", str(fake))
    tool_digest.cache_clear()
    try:
        before = tool_digest()
        deep = copy / "patients" / "schedule.py"
        deep.write_text(deep.read_text() + "\n# changed\n")
        tool_digest.cache_clear()
        assert tool_digest() != before
    finally:
        tool_digest.cache_clear()
