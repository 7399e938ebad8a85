"""The package's layering (DESIGN.md §2.1), written as import-linter contracts in pyproject.toml: each
layer imports only the layers below it, physics stages know no configuration reader and no model, and
so the import graph has no cycles between modules."""

from __future__ import annotations

import collections
import os
from pathlib import Path

import pytest

importlinter = pytest.importorskip("importlinter.cli", reason="import-linter is in the test extra")
grimp = pytest.importorskip("grimp")

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept(capsys):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code = importlinter.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 kept, 0 broken" in out


def test_no_import_cycle_between_modules():
    # Every import counts, those inside functions too: a cycle of lazy imports is still a cycle.
    graph = grimp.build_graph("juno_fit")
    edges = collections.defaultdict(set)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if not module.startswith(imported + "."):  # a module imports its own package's __init__
                edges[module].add(imported)
    seen, stack, on_stack, cycles = {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        seen[node] = low = len(seen)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in seen:
                low = min(low, visit(nxt))
            elif nxt in on_stack:
                low = min(low, seen[nxt])
        if low == seen[node]:
            comp = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                comp.append(item)
                if item == node:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))
        return low

    for node in list(edges):
        if node not in seen:
            visit(node)
    assert cycles == []


MAX_LINES = 600  # small modules named after what they hold (DEVELOPERS.md); the one-model-framework issue


def test_no_module_above_600_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "juno_fit").rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
