"""render(): a system ``dot`` when there is one, else graphviz-pure; errors are RenderErrors.

This machine has no Graphviz, so the system-dot path is tested with a fake ``dot`` on PATH that
logs its arguments and hands the work to graphviz-pure.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from compiler.diagram import RenderError, render, to_dot
from compiler.diagram import rendering as rendering_module
from compiler.diagram.rendering import find_renderer

DOT = to_dot({"name": "w", "tasks": [{"name": "a", "taskReferenceName": "a"}]})


def fake_dot(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "dot"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


@pytest.fixture
def no_system_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH holds nothing but an empty folder."""
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


@pytest.mark.usefixtures("no_system_dot")
def test_without_a_system_dot_graphviz_pure_renders() -> None:
    kind, program = find_renderer()
    assert kind == "graphviz-pure"
    assert Path(program).name == "graphviz-pure"
    svg = render(DOT, "svg")
    assert b"graphviz-pure" in svg  # its generator comment
    assert render(DOT, "png").startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.skipif(sys.platform == "win32", reason="a shell-script fake dot")
def test_a_system_dot_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pure = rendering_module._pure()
    assert pure is not None
    log = tmp_path / "calls.log"
    fake_dot(tmp_path / "bin", f'echo "$@" >> "{log}"\nexec "{pure}" "$@"')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert find_renderer() == ("dot", str(tmp_path / "bin" / "dot"))
    with_dot = render(DOT, "svg")
    assert log.read_text() == "-Tsvg\n"
    assert render(DOT, "png").startswith(b"\x89PNG")
    assert log.read_text() == "-Tsvg\n-Tpng\n"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_renderer()[0] == "graphviz-pure"
    assert render(DOT, "svg") == with_dot  # the same program behind both: the same bytes
    assert to_dot({"name": "w", "tasks": [{"name": "a", "taskReferenceName": "a"}]}) == DOT


@pytest.mark.skipif(sys.platform == "win32", reason="a shell-script fake dot")
def test_a_failing_renderer_is_a_render_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path, 'echo "Error: syntax error in line 1" >&2\nexit 1')
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        RenderError, match=r"dot \(.*\) failed to render svg \(exit 1\): Error: syntax"
    ):
        render(DOT, "svg")


@pytest.mark.usefixtures("no_system_dot")
def test_invalid_dot_is_a_render_error_with_the_renderers_message() -> None:
    with pytest.raises(RenderError, match=r"graphviz-pure .* failed to render svg") as info:
        render("digraph { a -> }", "svg")
    assert "syntax" in str(info.value).lower()


def test_no_renderer_at_all(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(rendering_module, "_pure", lambda: None)
    with pytest.raises(RenderError, match="pip install graphviz-pure"):
        render(DOT, "svg")


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="the formats are svg, png"):
        render(DOT, "pdf")  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_system_dot")
def test_rendering_is_deterministic() -> None:
    """graphviz-pure gives the same SVG and PNG bytes for the same DOT text."""
    assert render(DOT, "svg") == render(DOT, "svg")
    assert render(DOT, "png") == render(DOT, "png")


def test_importing_the_package_and_the_cli_loads_no_graphviz() -> None:
    """``import compiler.diagram`` and building the CLI parser load neither graphviz nor the
    diagram modules: names resolve on first use."""
    import subprocess

    code = (
        "import sys, compiler.diagram, compiler.cli; compiler.cli.build_parser(); "
        "print(sorted(m for m in ('graphviz', 'compiler.diagram.dot', 'compiler.diagram.model') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
