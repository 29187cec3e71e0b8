"""The house rules a reader relies on: one direction of imports, small modules and functions.

The import graph is read from the source with `ast` (nothing is imported), so a cycle hidden inside a function
counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("advocacy", "scrapers", "digests", "vocabulary")
LEAVES = {"scrapers": {"scrapers", "vocabulary"}, "digests": {"digests", "vocabulary"}, "vocabulary": {"vocabulary"}}
MAX_FUNCTION_LINES = 60
MAX_ROOT_MODULES = 12


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imported(name: str, node: ast.Import | ast.ImportFrom, module: str, path: Path) -> Iterator[str]:
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
    for target in targets:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != name:
            yield target


def _imports(name: str, path: Path) -> dict[str, list[ast.stmt]]:
    tree = ast.parse(path.read_text(), str(path))
    out: dict[str, list[ast.stmt]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _imported(name, node, name, path):
                out.setdefault(target, []).append(node)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycle_from(start: str) -> list[str] | None:
    stack, seen = [(start, [start])], set()
    while stack:
        node, trail = stack.pop()
        for nxt in GRAPH[node]:
            if nxt == start:
                return [*trail, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*trail, nxt]))
    return None


def test_no_module_imports_itself_back_through_another() -> None:
    cycles = {" -> ".join(c) for name in GRAPH if (c := _cycle_from(name))}
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles))


def _package(module: str) -> str:
    """`advocacy.outbound.digest` -> `advocacy.outbound`; a root module of `advocacy` is its own layer."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "advocacy" and len(parts) > 1 else parts[0]


def test_packages_depend_on_each_other_one_way() -> None:
    """Not only modules: no two step packages lean on each other (outbound never imports inbound, and so on)."""
    layers: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        layers.setdefault(_package(name), set()).update(_package(t) for t in targets if _package(t) != _package(name))
    both_ways = sorted(f"{a} <-> {b}" for a, deps in layers.items() for b in deps
                       if a < b and a in layers.get(b, set()))
    assert not both_ways, "\n".join(both_ways)
    for start in layers:  # and no longer loop through three or more
        stack, seen = [start], set()
        while stack:
            for nxt in layers.get(stack.pop(), set()):
                assert nxt != start, f"{start} depends on itself through other packages"
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)


# Which pipeline steps each step package may lean on (ARCHITECTURE.md's table says the same). `cli`, `web` and
# `demo` sit on top and may use any step; the root modules and `models` use none, except that the tagging rules are
# part of the configuration (`config` imports `advocacy.tagging.rules`; tagging never imports `config`).
STEPS = ("collect", "tagging", "curation", "people", "outbound", "inbound", "runtime", "exports")
MAY_USE = {
    "collect": set(),
    "tagging": set(),
    "curation": {"tagging"},
    "people": set(),
    "outbound": {"people", "tagging"},
    "inbound": {"outbound", "people"},
    "runtime": {"collect", "tagging", "curation", "outbound", "inbound", "people"},
    "config": {"tagging"},
    "exports": {"outbound", "people", "tagging"},
}


def test_each_step_uses_only_the_steps_before_it() -> None:
    wrong = []
    for name, targets in GRAPH.items():
        parts = name.split(".")
        if parts[0] != "advocacy" or len(parts) < 2 or parts[1] in ("cli", "web", "demo"):
            continue
        allowed = MAY_USE.get(parts[1], set())
        used = {t.split(".")[1] for t in targets if t.startswith("advocacy.") and t.split(".")[1] in STEPS}
        wrong += [f"{name} imports advocacy.{step}" for step in sorted(used - allowed - {parts[1]})]
    assert not wrong, "\n".join(wrong)


def test_scrapers_digests_and_the_vocabulary_import_only_the_vocabulary() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if name.split(".")[0] in LEAVES and target.split(".")[0] not in LEAVES[name.split(".")[0]]
    ]
    assert not wrong, "\n".join(wrong)


def _function_level_imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    lines = path.read_text().splitlines()
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield node.lineno, lines[node.lineno - 1].strip()


def test_no_project_import_is_hidden_inside_a_function() -> None:
    """Only a heavy optional dependency may be imported late, and then with a comment saying why."""
    hidden = []
    for path in MODULES.values():
        for lineno, line in _function_level_imports(path):
            target = line.split()[1].split(".")[0]
            if target in PACKAGES or "#" not in line:
                hidden.append(f"{path.relative_to(ROOT)}:{lineno}: {line}")
    assert not hidden, "\n".join(hidden)


def test_at_most_twelve_modules_sit_directly_in_advocacy() -> None:
    root_modules = sorted(p.name for p in (ROOT / "advocacy").glob("*.py"))
    assert len(root_modules) <= MAX_ROOT_MODULES, root_modules


def test_every_package_says_what_it_owns() -> None:
    missing = [name for name, path in MODULES.items() if path.name == "__init__.py" and not ast.get_docstring(
        ast.parse(path.read_text()))]
    assert not missing, missing


def test_no_function_is_longer_than_sixty_lines() -> None:
    long = []
    for path in [*MODULES.values(), *(ROOT / "bench").glob("*.py"), *(ROOT / "tests").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, "\n".join(long)
