"""The house only looks down: every import between the harness's parts is one its docstring
allows, and no part reaches a part that reaches it back.

A part is a package under harness/ (harness/plan/) or a top-level module (harness/engine.py);
its docstring says `May import: a, b, c.` (`nothing else of the harness` for none). Imports
inside functions count as much as those at the top of a file.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[1] / "harness"
RULE = re.compile(r"May import:\s*(.*?)(?:\n\s*\n|$)", re.S)


def part_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "harness" and len(parts) > 1 else None


def parts(root: Path = HARNESS) -> dict[str, Path]:
    """Each part and the file whose docstring states its rule."""
    found = {}
    for path in sorted(root.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists():
            found[path.name] = path / "__init__.py"
        elif path.suffix == ".py" and path.name != "__init__.py":
            found[path.stem] = path
    return found


def declared(path: Path) -> set[str]:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    match = RULE.search(docstring)
    assert match, f"{path}: its docstring has no 'May import:' line"
    text = " ".join(match.group(1).split()).rstrip(".")
    if text.startswith("nothing"):
        return set()
    return {name.strip() for name in text.split(",")}


def imports(root: Path = HARNESS) -> dict[tuple[str, str], list[str]]:
    """(part, imported part) -> where, for every import of one part by another."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        source = part_of(module)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in {part_of(name) for name in names} - {None, source}:
                if source is not None and target is not None:
                    found[(source, target)].append(f"{rel}:{node.lineno}")
    return found


def test_every_part_states_what_it_may_import() -> None:
    for name, path in parts().items():
        allowed = declared(path)
        unknown = allowed - set(parts()) - {"__version__"}
        assert not unknown, f"{name}: its docstring names parts that do not exist: {unknown}"


def disallowed(root: Path = HARNESS) -> list[str]:
    """Every import of one part by another that the importer's docstring does not allow."""
    rules = {name: declared(path) for name, path in parts(root).items()}
    return [f"{source} -> {target} ({', '.join(where[:3])})"
            for (source, target), where in sorted(imports(root).items())
            if target != "__version__" and target not in rules.get(source, set())]


def test_every_import_is_one_the_docstring_allows() -> None:
    wrong = disallowed()
    assert not wrong, "imports the docstrings do not allow:\n" + "\n".join(wrong)


def test_no_part_reaches_back() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in imports():
        graph[source].add(target)
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", f"a cycle: {' -> '.join([*path, node])}"
        state[node] = "open"
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        state[node] = "done"

    for node in sorted(graph):
        visit(node, [])


def test_a_climbing_import_is_caught(tmp_path: Path) -> None:
    """The rule test reads what it claims to: a lazy import that climbs is named."""
    root = tmp_path / "harness"
    for name, rule in (("records", "sanitize"), ("judge", "records"), ("sanitize", "nothing")):
        (root / name).mkdir(parents=True)
        (root / name / "__init__.py").write_text(f'"""{name}.\n\nMay import: {rule}.\n"""\n')
    (root / "records" / "plan.py").write_text(
        "def late():\n    from harness.judge.causes import Cause\n    return Cause\n")
    (root / "judge" / "causes.py").write_text("from harness.records import plan\n")
    assert disallowed(root) == ["records -> judge (harness/records/plan.py:2)"]
