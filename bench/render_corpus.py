"""Render every workflow definition of the shared Conductor corpus to DOT, Mermaid and SVG.

Usage: .venv/bin/python bench/render_corpus.py [CORPUS_DIR] [--png]

Prints how many definitions were drawn, how many failed (each failure is listed) and the time
taken; exits 1 if any failed. tests/diagram/test_corpus.py renders every one to SVG in the suite
(about 7 s with graphviz-pure); this script does the same from the shell, and PNG too with --png
(about 75 s: PNG rasterising is the slow part, so the suite renders PNG for the examples only).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from compiler.diagram import render, to_dot, to_mermaid
from compiler.loader import LoadError, load_file

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "conductor"


def main(argv: list[str]) -> int:
    """Render the corpus; return the exit code."""
    png = "--png" in argv
    args = [a for a in argv if a != "--png"]
    corpus = Path(args[0]) if args else CORPUS
    started = time.perf_counter()
    drawn = failed = 0
    for path in sorted(corpus.rglob("*.json")):
        try:
            loaded = load_file(path)
        except LoadError:
            continue
        for found in loaded.workflows:
            try:
                dot = to_dot(found.definition, expand_subworkflows=True)
                to_mermaid(found.definition, expand_subworkflows=True)
                svg = render(dot, "svg")
                assert svg.lstrip().startswith(b"<?xml"), "not an SVG"
                if png:
                    assert render(dot, "png").startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
            except Exception as err:  # report every failure, keep going
                failed += 1
                print(f"FAILED {path.relative_to(corpus)} {found.json_path}: {err}")
                continue
            drawn += 1
    elapsed = time.perf_counter() - started
    print(f"rendered {drawn} workflow definitions, {failed} failed, in {elapsed:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
