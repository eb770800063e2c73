"""Helpers shared by the tests: where flowdsl says a test file is, and lines marked in it."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(file: str) -> str:
    """``file`` as flowdsl displays it: relative to the working directory when below it."""
    rel = os.path.relpath(file)
    return file if rel.startswith("..") else rel


def marker_line(file: str, marker: str) -> int:
    """The line of ``file`` that ends with the comment ``# marker``."""
    for number, text in enumerate(Path(file).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise AssertionError(f"no line ending with '# {marker}' in {file}")
