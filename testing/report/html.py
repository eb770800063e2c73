"""The run report: one self-contained HTML file (inline CSS and SVG; nothing fetched to view it)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testing.report.colours import STATUS_COLOURS, status_colour, status_fill
from testing.report.data import ReportData, format_duration, format_offset, read_execution
from testing.report.timeline import axis_svg, make_scale, timeline_svg

if TYPE_CHECKING:
    import jinja2

    from testing.simulator import Run

__all__ = ["diagram_svg", "render_report", "write_report"]

_SIZE = re.compile(r'<svg[^>]*?\bheight="([0-9.]+)(pt|px)?"')
#: A diagram taller than this (in pt) gets a scroll box of its own, so that the timeline below it
#: stays near the top of the page; a shorter one is shown whole (narrowed to the page if wider).
TALL_PT = 2400.0
_PROLOG = re.compile(r"^\s*(<\?xml[^>]*>\s*)?(<!DOCTYPE[^>]*>\s*)?(<!--.*?-->\s*)*", re.DOTALL)


def environment() -> jinja2.Environment:
    """The jinja2 environment of flowdsl's HTML reports (templates ship as package data)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("testing.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["offset"] = format_offset
    env.filters["duration"] = lambda ms: "-" if ms is None else format_duration(ms)
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False)
    env.filters["colour"] = status_colour
    return env


def diagram_svg(
    definition: Mapping[str, Any] | None,
    overlay: Any = None,
    *,
    definitions: Mapping[Any, Any] | None = None,
) -> tuple[str | None, str | None]:
    """(inline SVG, None) of the workflow diagram, or (None, why not) when it cannot be drawn."""
    if definition is None:
        return None, "the execution embeds no workflowDefinition (pass --definition DEF.json)"
    from compiler.diagram import RenderError, render, to_dot

    kwargs: dict[str, Any] = {"overlay": overlay}
    if definitions:
        kwargs["definitions"] = definitions
    try:
        svg = render(to_dot(definition, **kwargs), "svg").decode("utf-8")
    except (RenderError, ValueError) as err:
        return None, f"the diagram could not be drawn ({err})"
    return _PROLOG.sub("", svg, count=1).strip(), None


def is_tall(svg: str | None) -> bool:
    """True when the diagram is too tall to shrink into the window legibly."""
    found = _SIZE.search(svg or "")
    return found is not None and float(found.group(1)) > TALL_PT


def _run_overlay(execution: Mapping[str, Any]) -> Any:
    from compiler.diagram import run_overlay

    return run_overlay(execution)


def _utc(ms: int) -> str:
    """An epoch-ms time as a UTC date and time (the run's own clock, never the wall clock)."""
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + f".{ms % 1000:03d} UTC"


def _legend() -> list[tuple[str, str, str]]:
    shown = ("COMPLETED", "FAILED", "TIMED_OUT", "IN_PROGRESS", "CANCELED", "SKIPPED")
    return [(status, status_fill(status), STATUS_COLOURS[status]) for status in shown]


def render_report(
    execution: Mapping[str, Any],
    *,
    definition: Mapping[str, Any] | None = None,
    children: tuple[Mapping[str, Any], ...] = (),
    file: str = "<execution>",
) -> str:
    """The HTML report of one execution record (``definition`` overrides the embedded one)."""
    data: ReportData = read_execution(execution, file=file)
    wf_def = definition if definition is not None else data.definition
    overlay = _run_overlay(execution) if wf_def is not None else None
    svg, why = diagram_svg(wf_def, overlay)
    child_rows = [
        {
            "name": f"{c.get('workflowName')} v{c.get('workflowVersion')}",
            "id": str(c.get("workflowId") or ""),
            "status": str(c.get("status") or "?"),
            "reason": c.get("reasonForIncompletion"),
        }
        for c in children
    ]
    template = environment().get_template("report.html.j2")
    return template.render(
        data=data,
        duration=(
            format_duration(data.end)
            if data.end is not None
            else f"{format_duration(data.span)} so far (still running)"
        ),
        started=_utc(data.start_ms),
        diagram=svg,
        diagram_tall=is_tall(svg),
        diagram_missing=why,
        axis=axis_svg(data),
        cuts=make_scale(data).cuts,
        timeline=timeline_svg(data),
        rows=data.rows,
        legend=_legend(),
        children=child_rows,
        definition=wf_def,
        status_colour=status_colour(data.status),
    )


def write_report(
    source: Run | Mapping[str, Any],
    path: str | Path,
    *,
    definition: Mapping[str, Any] | None = None,
) -> Path:
    """Write the HTML report of a :class:`~testing.simulator.Run` or an execution record to ``path``."""
    children: tuple[Mapping[str, Any], ...] = ()
    if isinstance(source, Mapping):
        execution: Mapping[str, Any] = source
    else:
        execution, children = source.execution, source.children
    html = render_report(execution, definition=definition, children=children)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
