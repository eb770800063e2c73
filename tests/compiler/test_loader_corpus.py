"""Load every file of the shared Conductor corpus with compiler.loader."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from compiler.loader import LoadedFile, LoadError, load_file

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "conductor"
INVALID_DIR = "_invalid_json"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.json"))


def _valid_files() -> list[Path]:
    return [p for p in _corpus_files() if INVALID_DIR not in p.relative_to(CORPUS).parts]


def _invalid_files() -> list[Path]:
    return [p for p in _corpus_files() if INVALID_DIR in p.relative_to(CORPUS).parts]


def _manifest_kinds() -> dict[str, str]:
    """Corpus file (relative path) -> kind, from the MANIFEST table (first word of 'kind')."""
    manifest = CORPUS / "MANIFEST.md"
    if not manifest.is_file():
        return {}
    kinds: dict[str, str] = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].endswith(".json"):
            kinds[cells[0]] = cells[4].split()[0]
    return kinds


@pytest.fixture(scope="module")
def loaded() -> dict[str, LoadedFile]:
    """Every valid corpus file, loaded once: relative path -> LoadedFile."""
    return {p.relative_to(CORPUS).as_posix(): load_file(p) for p in _valid_files()}


def test_every_valid_corpus_file_loads(loaded: dict[str, LoadedFile]) -> None:
    assert len(loaded) >= 1_250
    per_kind = Counter(f.kind for f in loaded.values())
    workflows = sum(len(f.workflows) for f in loaded.values())
    # MANIFEST/stats.txt: 1,137 definitions (top level, lists, requests, executions, bundles).
    assert workflows >= 1_100, (workflows, per_kind)
    assert workflows == 1_137, (workflows, per_kind)
    for name, f in loaded.items():
        assert f.workflows or f.task_defs, name
        for found in f.workflows:
            assert isinstance(found.definition.get("tasks"), list), (name, found.json_path)
            assert isinstance(found.definition.get("name"), str), (name, found.json_path)


def test_kinds_agree_with_manifest(loaded: dict[str, LoadedFile]) -> None:
    expected = _manifest_kinds()
    if not expected:
        pytest.skip("no MANIFEST.md")
    mismatches = {
        name: (expected[name], f.kind)
        for name, f in loaded.items()
        if name in expected and expected[name] != f.kind
    }
    assert mismatches == {}
    assert set(loaded) <= set(expected)


def test_embedded_definitions_have_their_json_paths(loaded: dict[str, LoadedFile]) -> None:
    by_kind: dict[str, set[str]] = {}
    for f in loaded.values():
        by_kind.setdefault(f.kind, set()).update(w.json_path for w in f.workflows)
    assert by_kind["workflow"] == {"$"}
    assert by_kind["execution"] == {"$.workflowDefinition"}
    assert by_kind["start-request"] == {"$.workflowDef"}
    assert by_kind["test-request"] == {"$.workflowDef"}
    assert all(re.fullmatch(r"\$\[\d+\]", p) for p in by_kind["workflows"])
    assert all(re.fullmatch(r"\$\[\d+\]\.workflowDefinitions\[\d+\]", p) for p in by_kind["bundle"])
    for f in loaded.values():
        if f.kind == "execution":
            assert f.extra["execution"]["workflowDefinition"] is f.workflows[0].definition


def test_invalid_json_files_raise_load_error_with_position() -> None:
    invalid = _invalid_files()
    assert len(invalid) == 2
    for path in invalid:
        with pytest.raises(LoadError) as info:
            load_file(path)
        text = str(info.value)
        assert path.name in text
        assert re.search(rf"{re.escape(path.name)}:\d+:\d+: not valid JSON: ", text), text
        assert info.value.line is not None
        assert info.value.column is not None
