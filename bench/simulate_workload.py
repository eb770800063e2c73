"""The simulator benchmark's shared workload: random draws and the reference timeline.

Standard library only: imported by bench/simulate_flowdsl.py (project venv) and by
bench/simulate_simpy.py (bench/.venv-peers), so that both engines consume the very same draws.

Model (docs/benchmarks.md "Simulator benchmarks"; peer-performance.md section 3(b), "plain"):
every workflow runs TASKS tasks in sequence; every task attempt waits for a poll, U(0,1) s
(Conductor's queueWaitTime), executes, exponential with mean 10 s (executionTime), and fails
with p = 0.2. A failed attempt is retried up to 3 times, EXPONENTIAL_BACKOFF with base 5 s
(5, 10, 20 s after the failure); a task whose retries run out is skipped (optional: true).

All draws come from one random.Random(42), in the order workflow -> task -> attempt, and are
rounded to whole milliseconds, so both engines and ``expected_end_ms`` work in integers.
"""

from __future__ import annotations

import hashlib
import random

SEED = 42
P_FAIL = 0.2
RETRIES = 3  # TaskDef retryCount
BASE_DELAY_S = 5  # TaskDef retryDelaySeconds, retryLogic EXPONENTIAL_BACKOFF
MEAN_EXEC_S = 10.0

Attempt = tuple[int, int, bool]  # (queue wait ms, execution ms, failed)
Draws = list[list[list[Attempt]]]  # [workflow][task] -> the attempts that run, in order


def draws(workflows: int, tasks: int, seed: int = SEED) -> Draws:
    """Every attempt's (queue wait ms, execution ms, failed), for every workflow and task."""
    rng = random.Random(seed)
    rand, expo = rng.random, rng.expovariate
    rate = 1.0 / MEAN_EXEC_S
    out: Draws = []
    for _ in range(workflows):
        wf: list[list[Attempt]] = []
        for _ in range(tasks):
            attempts: list[Attempt] = []
            for _ in range(RETRIES + 1):
                wait = round(rand() * 1000)
                execution = round(expo(rate) * 1000)
                failed = rand() < P_FAIL
                attempts.append((wait, execution, failed))
                if not failed:
                    break
            wf.append(attempts)
        out.append(wf)
    return out


def backoff_ms(retry: int) -> int:
    """The delay before the retry that follows failed attempt number ``retry`` (0 = the first)."""
    return int(BASE_DELAY_S * 2**retry * 1000)


def expected_end_ms(wf: list[list[Attempt]]) -> int:
    """The workflow's end, in ms after its start, computed directly from its draws."""
    t = 0
    for attempts in wf:
        for retry, (wait, execution, _) in enumerate(attempts):
            if retry:
                t += backoff_ms(retry - 1)
            t += wait + execution
    return t


def summary(d: Draws) -> dict[str, int | str]:
    """Counts and the reference end times, to check an engine's results against."""
    ends = [expected_end_ms(wf) for wf in d]
    return {
        "attempts": sum(len(a) for wf in d for a in wf),
        "skipped": sum(1 for wf in d for a in wf if a[-1][2]),
        "end_sum_ms": sum(ends),
        "end_max_ms": max(ends),
        "ends_digest": ends_digest(ends),
    }


def ends_digest(ends: list[int]) -> str:
    """A short digest of the per-workflow end times, in workflow order."""
    return hashlib.sha256(",".join(map(str, ends)).encode()).hexdigest()[:12]
