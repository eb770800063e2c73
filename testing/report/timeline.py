"""The run timeline (a Gantt chart of every task attempt) as inline SVG, drawn in Python.

One row per task reference; every attempt of that reference sits on its row. A light bar is the
queue wait (scheduled -> started), a solid bar the execution (started -> ended), coloured by
status. The wait before a retry is a dashed line labelled with its length; a timed-out attempt
ends in a diamond. The time axis (``testing.report.scale``) is linear unless a long idle stretch
dwarfs the rest of the run; such a stretch is drawn shortened, as a labelled dashed band.
Coordinates are rounded to 0.1 px, so identical input gives identical bytes.
"""

from __future__ import annotations

from html import escape

from testing.report.colours import QUEUE, status_colour, status_fill
from testing.report.data import Attempt, ReportData, format_duration, format_offset
from testing.report.scale import TimeScale

__all__ = ["axis_svg", "make_scale", "timeline_svg"]

LABEL_W = 230  # the column of task references
CHART_W = 820  # the time axis
RIGHT_PAD = 40
ROW_H = 20
BAR_H = 12
AXIS_H = 26
LABEL_CHARS = 32  # longer references are cut with an ellipsis (the full one is in the title)
WIDTH = LABEL_W + CHART_W + RIGHT_PAD


def _f(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def make_scale(data: ReportData) -> TimeScale:
    """The time axis of a run: every moment an attempt was scheduled, started or ended counts."""
    events: list[int] = []
    for attempt in data.attempts:
        events.append(attempt.scheduled)
        if attempt.start is not None:
            events.append(attempt.start)
        if attempt.end is not None:
            events.append(attempt.end)
    if data.end is not None:
        events.append(data.end)
    return TimeScale(data.span, events, left=LABEL_W, width=CHART_W)


def _title(attempt: Attempt, attempts: int) -> str:
    lines = [
        f"{attempt.ref} ({attempt.task_type}) attempt {attempt.attempt} of {attempts}",
        f"status: {attempt.status}",
        f"scheduled {format_offset(attempt.scheduled)}, started {format_offset(attempt.start)}, "
        f"ended {format_offset(attempt.end)}",
    ]
    if attempt.delay_s:
        lines.append(f"start delay {format_duration(attempt.delay_s * 1000)} (retry delay)")
    if attempt.queue_ms is not None:
        lines.append(f"queue wait {format_duration(attempt.queue_ms)}")
    if attempt.run_ms is not None:
        lines.append(f"ran {format_duration(attempt.run_ms)}")
    if attempt.reason:
        lines.append(f"reason: {_cut(attempt.reason, 300)}")
    return escape("\n".join(lines))


def axis_svg(data: ReportData) -> str:
    """The time axis (drawn above the scrolling rows, so it stays in view)."""
    scale = make_scale(data)
    parts = [
        f'<svg class="axis" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{AXIS_H}" '
        f'viewBox="0 0 {WIDTH} {AXIS_H}" role="img" aria-label="time axis">',
        f'<line x1="{LABEL_W}" y1="{AXIS_H - 1}" x2="{LABEL_W + CHART_W}" y2="{AXIS_H - 1}" '
        'class="ax"/>',
        f'<text x="8" y="{AXIS_H - 8}" class="axlabel">task reference</text>',
    ]
    for cut in scale.cuts:
        mid = _f((cut.x0 + cut.x1) / 2)
        parts.append(
            f'<g class="cut"><title>{escape(cut.label)} in which no task was scheduled, started '
            f"or ended, drawn shortened</title>"
            f'<rect x="{_f(cut.x0)}" y="{AXIS_H - 5}" width="{_f(cut.x1 - cut.x0)}" height="8" '
            'class="cutaxis"/>'
            f'<text x="{mid}" y="{AXIS_H - 10}" text-anchor="middle" class="cutlabel">'
            f"{escape(cut.label)}</text></g>"
        )
    for tick in scale.ticks():
        x = _f(scale.x(tick))
        anchor = "start" if tick == 0 else "middle"
        parts.append(
            f'<line x1="{x}" y1="{AXIS_H - 6}" x2="{x}" y2="{AXIS_H - 1}" class="ax"/>'
            f'<text x="{x}" y="{AXIS_H - 10}" text-anchor="{anchor}" class="tick">'
            f"{escape(format_offset(tick))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def timeline_svg(data: ReportData) -> str:
    """The rows of the timeline: one per task reference, every attempt on its row."""
    scale = make_scale(data)
    rows = data.rows
    height = max(1, len(rows)) * ROW_H + 4
    out = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="timeline of {len(data.attempts)} task attempts">'
    ]
    for tick in scale.ticks():
        x = _f(scale.x(tick))
        out.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height}" class="grid"/>')
    if data.end is not None:
        x = _f(scale.x(data.end))
        out.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height}" class="wfend"/>')
    for row, (ref, attempts) in enumerate(rows):
        top = row * ROW_H + 2
        mid = top + ROW_H / 2
        cls = "row odd" if row % 2 else "row"
        out.append(f'<g class="{cls}">')
        out.append(f'<rect x="0" y="{top}" width="{WIDTH}" height="{ROW_H}" class="stripe"/>')
        label = _cut(ref, LABEL_CHARS)
        suffix = f" \u00d7{len(attempts)}" if len(attempts) > 1 else ""
        out.append(
            f'<text x="8" y="{_f(mid + 4)}" class="ref"><title>{escape(ref)} '
            f"({escape(attempts[0].task_type)})</title>{escape(label)}"
            f'<tspan class="count">{suffix}</tspan></text>'
        )
        previous: Attempt | None = None
        hidden: list[str] = []  # retry gaps too narrow for their label
        for attempt in attempts:
            out.append(
                _attempt_svg(attempt, previous, len(attempts), scale, top, data.span, hidden)
            )
            previous = attempt
        if hidden:
            out.append(_row_note(attempts, hidden, scale, mid))
        out.append("</g>")
    for cut in scale.cuts:  # over the bars: what crosses a shortened stretch looks faded
        out.append(
            f'<g class="cut"><title>{escape(cut.label)} drawn shortened</title>'
            f'<rect x="{_f(cut.x0)}" y="0" width="{_f(cut.x1 - cut.x0)}" height="{height}" '
            'class="cutband"/></g>'
        )
    out.append("</svg>")
    return "".join(out)


def _row_note(attempts: list[Attempt], gaps: list[str], scale: TimeScale, mid: float) -> str:
    """The retry delays of a row whose gaps are too narrow to label, beside its bars."""
    text = ("retry after " if len(gaps) == 1 else "retries after ") + ", ".join(gaps)
    width = len(text) * 5.6
    last = max((a.end or a.start or a.scheduled) for a in attempts)
    after = scale.x(last) + 8
    if after + width <= WIDTH - 4:
        return f'<text x="{_f(after)}" y="{_f(mid + 3)}" class="gap">{escape(text)}</text>'
    before = scale.x(min(a.scheduled for a in attempts)) - 6
    if before - width >= LABEL_W + 4:
        return (
            f'<text x="{_f(before)}" y="{_f(mid + 3)}" text-anchor="end" class="gap">'
            f"{escape(text)}</text>"
        )
    return ""  # no room: the hover titles still say it


def _attempt_svg(
    attempt: Attempt,
    previous: Attempt | None,
    attempts: int,
    scale: TimeScale,
    top: int,
    span: int,
    hidden: list[str],
) -> str:
    bar_y = top + (ROW_H - BAR_H) / 2
    mid = top + ROW_H / 2
    colour = status_colour(attempt.status)
    fill = status_fill(attempt.status)
    parts = [f'<g class="attempt" data-status="{escape(attempt.status)}">']
    parts.append(f"<title>{_title(attempt, attempts)}</title>")
    if previous is not None and previous.end is not None:
        # The wait before a retry: from the failed attempt's end to this attempt's start.
        until = attempt.start if attempt.start is not None else attempt.scheduled
        if until > previous.end:
            x1, x2 = scale.x(previous.end), scale.x(until)
            parts.append(
                f'<line x1="{_f(x1)}" y1="{_f(mid)}" x2="{_f(x2)}" y2="{_f(mid)}" class="retry"/>'
            )
            wait = format_duration(until - previous.end)
            label = f"retry after {wait}"
            if x2 - x1 > len(label) * 5.6 + 6:
                parts.append(
                    f'<text x="{_f((x1 + x2) / 2)}" y="{_f(bar_y - 1)}" text-anchor="middle" '
                    f'class="gap">{escape(label)}</text>'
                )
            else:
                hidden.append(wait)
    queue_from = attempt.scheduled
    if previous is not None and previous.end is not None:
        queue_from = max(queue_from, previous.end)
    queue_to = attempt.start
    if queue_to is None:  # never picked up: queued until it ended (or until now)
        queue_to = attempt.end if attempt.end is not None else span
    if queue_to > queue_from and (previous is None or attempt.start is None):
        x1, x2 = scale.x(queue_from), scale.x(queue_to)
        edge = colour if attempt.start is None else "#9aa5b1"  # never started: its status edge
        parts.append(
            f'<rect x="{_f(x1)}" y="{_f(bar_y)}" width="{_f(max(x2 - x1, 1.0))}" '
            f'height="{BAR_H}" rx="2" fill="{QUEUE}" stroke="{edge}" stroke-width="0.8" '
            'stroke-dasharray="2 2" class="queue"/>'
        )
    if attempt.start is not None:
        end = attempt.end if attempt.end is not None else span
        x1, x2 = scale.x(attempt.start), scale.x(end)
        running = ' stroke-dasharray="3 2"' if attempt.end is None else ""
        parts.append(
            f'<rect x="{_f(x1)}" y="{_f(bar_y)}" width="{_f(max(x2 - x1, 2.5))}" '
            f'height="{BAR_H}" rx="2" fill="{fill}" stroke="{colour}"{running} class="run"/>'
        )
    if attempt.timed_out:
        at = attempt.end if attempt.end is not None else span
        x = scale.x(at) + 1
        parts.append(f'<path d="M{_f(x)} {_f(mid - 6)} l5 6 l-5 6 l-5 -6 z" class="timeout"/>')
    parts.append("</g>")
    return "".join(parts)
