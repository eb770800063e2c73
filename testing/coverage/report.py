"""Coverage reports: the terminal table (like coverage.py's term-missing) and the HTML pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from testing.coverage.data import CoverageData
from testing.coverage.model import Branch, WorkflowCoverage

__all__ = ["Row", "branch_percent", "rows", "terminal_lines", "write_html"]

COVERED = "#3f8f5f"
MISSED = "#c4493a"
COVERED_FILL = "#d8ecdf"
MISSED_FILL = "#f0f1f3"


@attrs.frozen
class Row:
    """One workflow's line of the summary."""

    label: str
    page: str
    runs: int
    tasks_hit: int
    tasks: int
    branches_hit: int
    branches: int
    missing: tuple[Branch, ...]
    coverage: WorkflowCoverage

    @property
    def task_percent(self) -> float:
        """Percent of tasks that ran (100 when there are none)."""
        return 100.0 if not self.tasks else 100.0 * self.tasks_hit / self.tasks

    @property
    def branch_percent(self) -> float:
        """Percent of branches taken (100 when there are none)."""
        return 100.0 if not self.branches else 100.0 * self.branches_hit / self.branches


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "workflow"


def rows(data: CoverageData) -> list[Row]:
    """One row per workflow definition, sorted by name, version and digest."""
    found = data.sorted()
    versions: dict[tuple[str, int], int] = {}
    for cov in found:
        versions[(cov.name, cov.version)] = versions.get((cov.name, cov.version), 0) + 1
    out = []
    for cov in found:
        label = f"{cov.name} v{cov.version}"
        if versions[(cov.name, cov.version)] > 1:  # several definitions share name and version
            label += f" [{cov.digest[:8]}]"
        tasks_hit, tasks, branches_hit, branches, missing = cov.summary()
        out.append(
            Row(
                label=label,
                page=f"{_slug(cov.name)}-v{cov.version}-{cov.digest[:8]}.html",
                runs=cov.runs,
                tasks_hit=tasks_hit,
                tasks=tasks,
                branches_hit=branches_hit,
                branches=branches,
                missing=tuple(missing),
                coverage=cov,
            )
        )
    return out


def branch_percent(table: Sequence[Row]) -> float:
    """Branches taken over all workflows, in percent (100 when there are none)."""
    total = sum(r.branches for r in table)
    return 100.0 if not total else 100.0 * sum(r.branches_hit for r in table) / total


def _pct(value: float) -> str:
    # Like coverage.py: never show 100% unless everything is covered.
    shown = int(value) if value < 100 else 100
    return f"{shown}%"


def terminal_lines(table: Sequence[Row]) -> list[str]:
    """The terminal summary: per workflow, tasks and branches covered and the missing branches."""
    if not table:
        return ["no workflow ran under the flowdsl_sim fixture: nothing to report"]
    width = max(28, *(len(r.label) for r in table))
    head = f"{'workflow':<{width}}  {'runs':>4}  {'tasks':>11}  {'branches':>11}  missing"
    lines = [head, "-" * len(head)]
    for r in table:
        missing = ", ".join(b.describe() for b in r.missing)
        lines.append(
            f"{r.label:<{width}}  {r.runs:>4}  {f'{r.tasks_hit}/{r.tasks}':>6} "
            f"{_pct(r.task_percent):>4}  {f'{r.branches_hit}/{r.branches}':>6} "
            f"{_pct(r.branch_percent):>4}  {missing}".rstrip()
        )
    tasks = sum(r.tasks for r in table)
    tasks_hit = sum(r.tasks_hit for r in table)
    branches = sum(r.branches for r in table)
    hit = sum(r.branches_hit for r in table)
    task_pct = 100.0 if not tasks else 100.0 * tasks_hit / tasks
    lines.append("-" * len(head))
    lines.append(
        f"{'TOTAL':<{width}}  {sum(r.runs for r in table):>4}  {f'{tasks_hit}/{tasks}':>6} "
        f"{_pct(task_pct):>4}  {f'{hit}/{branches}':>6} {_pct(branch_percent(table)):>4}"
    )
    return lines


def overlay_for(cov: WorkflowCoverage) -> Any:
    """The diagram overlay of a workflow's coverage: ran tasks green, the rest greyed."""
    from compiler.diagram import Overlay, TaskStyle

    points = cov.points()
    tasks = {}
    for ref in points.tasks:
        n = cov.tasks.get(ref, 0)
        if n:
            tasks[ref] = TaskStyle(fill=COVERED_FILL, lines=(f"ran in {n} run{'s' * (n > 1)}",))
        else:
            tasks[ref] = TaskStyle(fill=MISSED_FILL, lines=("never ran",), greyed=True)
    edges: dict[tuple[str, str], str] = {}
    for branch in points.branches:
        colour = COVERED if cov.branches.get(branch.key) else MISSED
        if branch.kind == "case":
            edges[(branch.owner, branch.label)] = colour
        elif branch.kind == "fork" and branch.first:
            edges[(branch.owner, branch.first)] = colour
    taken = sum(1 for b in points.branches if cov.branches.get(b.key))
    title = f"{cov.name} v{cov.version}: {taken}/{len(points.branches)} branches"
    return Overlay(tasks=tasks, edges=edges, title=title, grey_others=True)


def write_html(data: CoverageData, directory: str | Path) -> Path:
    """Write ``index.html`` and one page per workflow (diagram coloured by coverage)."""
    from testing.report.html import diagram_svg, environment, is_tall

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    env = environment()
    table = rows(data)
    page = env.get_template("coverage_workflow.html.j2")
    for row in table:
        try:
            overlay = overlay_for(row.coverage)
        except ImportError:  # pragma: no cover - the diagram layer ships with the compiler
            overlay = None
        svg, why = diagram_svg(row.coverage.definition, overlay)
        points = row.coverage.points()
        (out / row.page).write_text(
            page.render(
                row=row,
                cov=row.coverage,
                points=points,
                diagram=svg,
                diagram_tall=is_tall(svg),
                diagram_missing=why,
                covered=COVERED,
                missed=MISSED,
            ),
            encoding="utf-8",
        )
    index = env.get_template("coverage_index.html.j2")
    (out / "index.html").write_text(
        index.render(
            table=table,
            total=_pct(branch_percent(table)),
            covered=COVERED,
            missed=MISSED,
            pct=_pct,
        ),
        encoding="utf-8",
    )
    return out / "index.html"
