"""The shape of the package: the layering written in ``sessionclient._LAYERS``, the
generated sync clients, and the parity of the sync and async clients."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sessionclient as sc
from sessionclient import _async, _sync

PACKAGE = Path(sc.__file__).parent
Import = tuple[str, str, bool, int]
ROOT = PACKAGE.parent


def _module(path: Path) -> str:
    """The floor name of a module file: ``_core``, ``__init__``, or ``emulator``."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return "emulator" if parts[0] == "emulator" else parts[0]


def _imports() -> list[Import]:
    """(importer, imported, type-only, line) for every import inside the package."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for node in ast.walk(block)
        }
        importer = _module(path)
        inside = path.parent != PACKAGE  # the emulator's modules sit one level down
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            up = node.level - (1 if inside else 0)  # 1: the package itself
            if up != 1 and not (inside and node.level == 1):
                continue
            if inside and node.level == 1:
                targets = ["emulator"]
            elif node.module is None:
                targets = [alias.name for alias in node.names]
            else:
                targets = [node.module.split(".")[0]]
            for target in targets:
                found.append((importer, target, id(node) in typing_only, node.lineno))
    return found


def _floor() -> dict[str, int]:
    return {name: level for level, floor in enumerate(sc._LAYERS) for name in floor}


def test_every_module_has_a_floor() -> None:
    floor = _floor()
    modules = {_module(path) for path in PACKAGE.rglob("*.py")}
    assert modules - set(floor) == set(), "add the new module to sessionclient._LAYERS"
    assert set(floor) - modules == set(), "a floor names a module that is gone"


def _upward(imports: list[Import]) -> list[str]:
    floor = _floor()
    return [
        f"{importer} -> {target} (line {line})"
        for importer, target, _, line in imports
        if floor[target] > floor[importer]
    ]


def _cycles(imports: list[Import]) -> list[list[str]]:
    """Import circles, type-only imports left out (they do not run)."""
    graph: dict[str, set[str]] = {}
    for importer, target, typing_only, _ in imports:
        if not typing_only and importer != target:
            graph.setdefault(importer, set()).add(target)
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycles.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for following in sorted(graph.get(node, ())):
            visit(following, [*path, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return cycles


def test_no_import_goes_up_a_floor() -> None:
    assert _upward(_imports()) == []


def test_no_imports_go_round_in_a_circle() -> None:
    assert _cycles(_imports()) == []


def test_the_checks_see_an_upward_import_and_a_circle() -> None:
    """They can fail: ``_core`` importing a driver, and two modules importing each other."""
    assert ("_core", "_exceptions", False, 1) in {(i, t, o, 1) for i, t, o, _ in _imports()}
    assert _upward([("_core", "_async", False, 7)]) == ["_core -> _async (line 7)"]
    circle = [("_cli", "_cli_directory", False, 1), ("_cli_directory", "_cli", False, 1)]
    assert _cycles(circle) == [["_cli", "_cli_directory", "_cli"]]
    assert _cycles([(*circle[0][:2], True, 1), circle[1]]) == []


# --- the generated sync clients ---------------------------------------------------------


def test_the_sync_clients_are_generated_from_the_async_ones() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "unasync.py"), "--check"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


PAIRS = [
    (sc.SessionClient, sc.AsyncSessionClient),
    (sc.ResourceClient, sc.AsyncResourceClient),
    (sc.Task, sc.AsyncTask),
]
ASYNC_ONLY = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__"}
ITERATORS = {"watch"}  # returns an async iterator (sync: an iterator), not a coroutine


def _public(cls: type) -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") or name in ("__init__", *ASYNC_ONLY, *ASYNC_ONLY.values())
    }


def _sync_text(annotation: object) -> str:
    text = str(annotation)
    text = text.replace("Awaitable[None]", "None")
    text = re.sub(r"\bAsyncGenerator\[(\w+), None\]", r"Generator[\1, None, None]", text)
    text = re.sub(r"\bAsyncOptions\b", "SyncOptions", text)
    return re.sub(r"\bAsync(SessionClient|ResourceClient|Task)\b", r"\1", text)


@pytest.mark.parametrize(("sync", "async_"), PAIRS, ids=lambda cls: cls.__name__)
def test_the_sync_and_async_clients_have_the_same_methods_and_signatures(
    sync: type, async_: type
) -> None:
    mine, theirs = _public(sync), _public(async_)
    assert set(mine) == {ASYNC_ONLY.get(name, name) for name in theirs}
    for name, method in theirs.items():
        twin = mine[ASYNC_ONLY.get(name, name)]
        is_coroutine = inspect.iscoroutinefunction(method)
        assert is_coroutine == (name not in ("__init__", *ITERATORS)), name
        assert not inspect.iscoroutinefunction(twin), name
        a, s = inspect.signature(method), inspect.signature(twin)
        assert [(p.name, p.kind, p.default) for p in s.parameters.values()] == [
            (p.name, p.kind, p.default) for p in a.parameters.values()
        ], name
        assert [_sync_text(p.annotation) for p in a.parameters.values()] == [
            str(p.annotation) for p in s.parameters.values()
        ], name
        assert _sync_text(a.return_annotation) == str(s.return_annotation), name
        if not name.startswith("_"):
            assert method.__doc__, name
            assert _sync_text(method.__doc__) == twin.__doc__, name


def test_the_constructor_keywords_are_spelled_once() -> None:
    """Both clients take the keywords of one ``TypedDict`` each, the same names."""
    sync_keys = _sync.SyncOptions.__annotations__.keys()
    async_keys = _async.AsyncOptions.__annotations__.keys()
    assert sync_keys == async_keys
    assert {"auth", "retry", "transport", "sleep", "clock", "gate"} <= set(sync_keys)
    for cls in (sc.SessionClient, sc.ResourceClient):
        variadic = list(inspect.signature(cls.__init__).parameters.values())[-1]
        assert variadic.kind is inspect.Parameter.VAR_KEYWORD


def test_an_unknown_keyword_is_refused_before_anything_is_built() -> None:
    with pytest.raises(TypeError, match="retries"):
        sc.SessionClient(retries=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="retries"):
        sc.AsyncResourceClient("https://example.test", retries=3)  # type: ignore[call-arg]
