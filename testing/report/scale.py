"""The timeline's time axis: linear, except that long idle stretches are drawn shortened.

A run often mixes seconds and hours: retries a few seconds apart, then a HUMAN task that waits
four hours. On a linear axis the retries would share three pixels. So a stretch in which no
attempt is scheduled, starts or ends, and which is longer than a tenth of the run, is *cut*:
drawn :data:`CUT_W` pixels wide, marked on the axis and in the rows, and labelled with its real
length. The cuts are made only when together they are at least fifteen times as long as the rest
of the run, that is when a linear axis would squeeze everything else into a few dozen pixels. Everything else keeps one linear scale, with ticks at round steps.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from itertools import pairwise

import attrs

from testing.report.data import format_duration, format_offset

__all__ = ["CUT_W", "MAX_TICKS", "TICK_STEPS", "Segment", "TimeScale", "nice_step"]

CUT_W = 64.0  # pixels for one shortened stretch
CUT_FRACTION = 0.1  # a stretch longer than this share of the run may be cut ...
CUT_RATIO = 15  # ... when the cuts add up to this many times the rest of the run

_S, _M, _H, _D = 1000, 60_000, 3_600_000, 86_400_000
#: Candidate spacings of the axis ticks, in ms: "nice" numbers from 1 ms to 30 days.
TICK_STEPS = (
    *(1, 2, 5, 10, 20, 50, 100, 200, 500),
    *(_S, 2 * _S, 5 * _S, 10 * _S, 15 * _S, 30 * _S),
    *(_M, 2 * _M, 5 * _M, 10 * _M, 15 * _M, 30 * _M),
    *(_H, 2 * _H, 3 * _H, 6 * _H, 12 * _H),
    *(_D, 2 * _D, 7 * _D, 14 * _D, 30 * _D),
)
MAX_TICKS = 8
_CHAR_PX = 6.2  # width of one tick-label character (11 px sans-serif), for spacing labels


def nice_step(duration: int) -> int:
    """The smallest nice tick spacing giving at most :data:`MAX_TICKS` ticks over ``duration``."""
    for step in TICK_STEPS:
        if duration / step <= MAX_TICKS:
            return step
    return TICK_STEPS[-1] * (int(duration / TICK_STEPS[-1] / MAX_TICKS) + 1)


@attrs.frozen
class Segment:
    """A stretch of run time [start, end] drawn from x0 to x1; ``cut`` when shortened."""

    start: int
    end: int
    x0: float
    x1: float
    cut: bool

    @property
    def label(self) -> str:
        """What a cut stands for, e.g. ``3 h 57 min``."""
        return format_duration(self.end - self.start)


class TimeScale:
    """Maps run time (ms from the start) to x pixels between ``left`` and ``left + width``."""

    def __init__(self, span: int, events: Iterable[int], *, left: float, width: float) -> None:
        self.span = max(span, 1)
        self.left = left
        self.width = width
        times = sorted({0, self.span, *(t for t in events if 0 <= t <= self.span)})
        gaps = [(a, b) for a, b in pairwise(times) if b - a > CUT_FRACTION * self.span]
        cut_total = sum(b - a for a, b in gaps)
        kept = self.span - cut_total
        if not gaps or kept <= 0 or cut_total < CUT_RATIO * kept:
            gaps = []
            kept = self.span
        self.kept = kept
        per_ms = (width - CUT_W * len(gaps)) / kept
        segments: list[Segment] = []
        cursor, x = 0, left
        for a, b in gaps:
            segments.append(Segment(cursor, a, x, x + (a - cursor) * per_ms, cut=False))
            x = segments[-1].x1
            segments.append(Segment(a, b, x, x + CUT_W, cut=True))
            cursor, x = b, x + CUT_W
        segments.append(Segment(cursor, self.span, x, left + width, cut=False))
        self.segments = tuple(segments)
        self._starts = [s.start for s in self.segments]

    @property
    def cuts(self) -> tuple[Segment, ...]:
        """The shortened stretches."""
        return tuple(s for s in self.segments if s.cut)

    def x(self, ms: int) -> float:
        """The x pixel of a time (clamped to the axis)."""
        ms = min(max(ms, 0), self.span)
        index = max(0, bisect.bisect_right(self._starts, ms) - 1)
        seg = self.segments[index]
        if seg.end == seg.start:
            return seg.x0
        return seg.x0 + (ms - seg.start) / (seg.end - seg.start) * (seg.x1 - seg.x0)

    def ticks(self) -> list[int]:
        """Tick times: 0, then multiples of one nice step outside the cuts, spaced for labels."""
        step = nice_step(self.kept)
        candidates = [0]
        for seg in self.segments:
            if seg.cut:
                continue
            first = -(-seg.start // step) * step
            candidates.extend(range(first, seg.end + 1, step))
        placed: list[tuple[float, float]] = []  # (left, right) pixels taken by labels
        for seg in self.cuts:
            mid, half = (seg.x0 + seg.x1) / 2, len(seg.label) * _CHAR_PX / 2
            placed.append((mid - half, mid + half))
        ticks: list[int] = []
        for tick in sorted(set(candidates)):
            x = self.x(tick)
            half = len(format_offset(tick)) * _CHAR_PX / 2
            left, right = (x, x + 2 * half) if tick == 0 else (x - half, x + half)
            if right > self.left + self.width + 30:
                continue
            if any(left < taken_r + 6 and right > taken_l - 6 for taken_l, taken_r in placed):
                continue
            placed.append((left, right))
            ticks.append(tick)
        return ticks
