"""The Python blocks in README.md and docs/*.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, int, str]]:
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            found.append((doc.name, line, match.group(1)))
    return found


@pytest.mark.parametrize(("doc", "line", "code"), _blocks(), ids=lambda v: str(v)[:40])
def test_doc_block_runs(doc: str, line: int, code: str, tmp_path: Path) -> None:
    """Each ```python block in the docs executes without error (its asserts hold)."""
    source = tmp_path / f"{doc.replace('.', '_')}_{line}.py"
    source.write_text(code, encoding="utf-8")
    namespace: dict[str, object] = {"__name__": f"docs_{line}"}
    exec(compile(code, str(source), "exec"), namespace)
