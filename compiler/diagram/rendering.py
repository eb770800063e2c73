"""DOT text -> SVG or PNG bytes, with the system's ``dot`` or the bundled ``graphviz-pure``.

A Graphviz ``dot`` on PATH is preferred; without one, the ``graphviz-pure`` command that the
``graphviz-pure`` package (a project dependency) installs beside the Python interpreter is used,
so a fresh install renders with nothing else on the machine. The DOT text is the same either way.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Literal

from flowdsl.errors import FlowError

__all__ = ["RenderError", "find_renderer", "render"]

FORMATS = ("svg", "png")
_TIMEOUT = 120.0


class RenderError(FlowError, RuntimeError):
    """DOT text could not be rendered (no renderer, or the renderer failed)."""


def _pure() -> str | None:
    """The ``graphviz-pure`` command: beside this interpreter, in its scripts dir, or on PATH."""
    name = "graphviz-pure.exe" if sys.platform == "win32" else "graphviz-pure"
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / name
        if candidate.is_file():
            return str(candidate)
    return shutil.which("graphviz-pure")


def find_renderer() -> tuple[str, str]:
    """``(kind, program)``: ``("dot", path)`` for a system Graphviz, else ``("graphviz-pure",
    path)``.

    Raises:
        RenderError: neither is installed.
    """
    system = shutil.which("dot")
    if system is not None:
        return "dot", system
    pure = _pure()
    if pure is not None:
        return "graphviz-pure", pure
    raise RenderError(
        "cannot render: no Graphviz 'dot' on PATH and no 'graphviz-pure' command; "
        "fix: pip install graphviz-pure (a flowdsl dependency), or install Graphviz"
    )


def render(dot: str, fmt: Literal["svg", "png"]) -> bytes:
    """Render DOT text to SVG or PNG bytes (see the module docstring for the renderer used).

    Raises:
        ValueError: ``fmt`` is neither ``"svg"`` nor ``"png"``.
        RenderError: no renderer, or it rejected the DOT text (its message is included).
    """
    if fmt not in FORMATS:
        raise ValueError(f"cannot render to {fmt!r}: the formats are {', '.join(FORMATS)}")
    kind, program = find_renderer()
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=dot.encode("utf-8"),
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RenderError(f"cannot render with {kind} ({program}): {err}") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip() or "no output"
        raise RenderError(
            f"{kind} ({program}) failed to render {fmt} (exit {done.returncode}): {message}"
        )
    return done.stdout
