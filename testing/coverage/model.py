"""Workflow coverage: what a workflow definition could do, and what simulated runs made it do.

From a WorkflowDef come its *points*: every task (by taskReferenceName, nested ones included) and
every *branch*:

- ``case``: each SWITCH/DECISION case and its default (taken when the switch picked it);
- ``fork``: each static FORK_JOIN branch (taken when its first task was scheduled);
- ``dynamic``: a FORK_JOIN_DYNAMIC counts as one branch (taken when it forked at least one task);
- ``loop``: a DO_WHILE's body, "entered" (taken when the body ran at least once). How many times
  the body ran in each run is recorded too, as 0 / 1 / many, and shown, but not required.

From an execution record come the tasks it scheduled (SKIPPED ones excluded; loop iterations
``ref__N`` count for ``ref``) and the branches it took. Counts are numbers of runs, so data from
several processes merges by adding.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

__all__ = [
    "Branch",
    "CoverageError",
    "Points",
    "WorkflowCoverage",
    "definition_key",
    "observe",
    "points_of",
]


class CoverageError(ValueError):
    """A coverage data file that cannot be read (says which file, where and why)."""


@attrs.frozen(order=True)
class Branch:
    """One branch of a workflow: ``kind`` case/fork/dynamic/loop, the task that owns it, a label."""

    kind: str
    owner: str
    label: str
    first: str | None = attrs.field(default=None, order=False)  # first task of the branch

    @property
    def key(self) -> str:
        """The branch's key in the data file: ``kind:owner:label``."""
        return f"{self.kind}:{self.owner}:{self.label}"

    def describe(self) -> str:
        """How the terminal and HTML reports name the branch."""
        if self.kind == "case":
            what = "default case" if self.label == "default" else f"case {self.label!r}"
            return f"switch {self.owner}: {what}"
        if self.kind == "fork":
            return f"fork {self.owner}: branch {self.label}" + (
                f" ({self.first})" if self.first else ""
            )
        if self.kind == "dynamic":
            return f"dynamic fork {self.owner}: forked no task"
        return f"loop {self.owner}: body never ran"


@attrs.frozen
class Points:
    """Every task reference and branch of one WorkflowDef, in document order."""

    tasks: tuple[str, ...]
    branches: tuple[Branch, ...]
    types: Mapping[str, str]  # ref -> task type
    loops: tuple[str, ...]


def _walk(tasks: Any) -> Iterator[Mapping[str, Any]]:
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, Mapping) or not isinstance(task.get("taskReferenceName"), str):
            continue
        yield task
        kind = task.get("type") or "SIMPLE"
        if kind in ("SWITCH", "DECISION"):
            cases = task.get("decisionCases")
            for branch in cases.values() if isinstance(cases, Mapping) else []:
                yield from _walk(branch)
            yield from _walk(task.get("defaultCase"))
        elif kind == "FORK_JOIN":
            for branch in task.get("forkTasks") or []:
                yield from _walk(branch)
        elif kind == "DO_WHILE":
            yield from _walk(task.get("loopOver"))


def _first_ref(branch: Any) -> str | None:
    if isinstance(branch, list) and branch and isinstance(branch[0], Mapping):
        ref = branch[0].get("taskReferenceName")
        return ref if isinstance(ref, str) else None
    return None


def points_of(definition: Mapping[str, Any]) -> Points:
    """The tasks and branches of a WorkflowDef."""
    tasks: list[str] = []
    types: dict[str, str] = {}
    branches: list[Branch] = []
    loops: list[str] = []
    for task in _walk(definition.get("tasks")):
        ref = str(task["taskReferenceName"])
        if ref in types:
            continue  # a duplicate reference: the validator reports it
        kind = str(task.get("type") or "SIMPLE")
        tasks.append(ref)
        types[ref] = kind
        if kind in ("SWITCH", "DECISION"):
            cases = task.get("decisionCases")
            for label, branch in cases.items() if isinstance(cases, Mapping) else []:
                branches.append(Branch("case", ref, str(label), _first_ref(branch)))
            branches.append(Branch("case", ref, "default", _first_ref(task.get("defaultCase"))))
        elif kind == "FORK_JOIN":
            for index, branch in enumerate(task.get("forkTasks") or []):
                branches.append(Branch("fork", ref, str(index), _first_ref(branch)))
        elif kind == "FORK_JOIN_DYNAMIC":
            branches.append(Branch("dynamic", ref, "forked"))
        elif kind == "DO_WHILE":
            branches.append(Branch("loop", ref, "entered", _first_ref(task.get("loopOver"))))
            loops.append(ref)
    return Points(tuple(tasks), tuple(branches), types, tuple(loops))


def _base_ref(task: Mapping[str, Any]) -> str:
    ref = str(task.get("referenceTaskName"))
    iteration = task.get("iteration")
    if isinstance(iteration, int) and iteration > 0:
        suffix = f"__{iteration}"
        if ref.endswith(suffix):
            return ref[: -len(suffix)]
    return ref


def _case_label(task: Mapping[str, Any], wt: Mapping[str, Any]) -> str | None:
    output = task.get("outputData") or {}
    result: Any = None
    for key in ("evaluationResult", "caseOutput"):
        value = output.get(key)
        if isinstance(value, list) and value:
            result = value[0]
            break
    else:
        result = (task.get("inputData") or {}).get("case")
        if result is None:
            return None
    cases = wt.get("decisionCases")
    cases = cases if isinstance(cases, Mapping) else {}
    label = str(result)
    if label not in cases:
        return "default"
    if wt.get("type") == "DECISION" and not cases[label]:
        return "default"  # a DECISION falls back to its default on an empty case
    return label


def observe(
    execution: Mapping[str, Any], points: Points, definition: Mapping[str, Any]
) -> dict[str, Any]:
    """The task references, branch keys and loop iteration buckets one execution covered."""
    by_ref = {str(t["taskReferenceName"]): t for t in _walk(definition.get("tasks"))}
    ran: set[str] = set()
    taken: set[str] = set()
    loop_iterations: dict[str, int] = {}
    for task in execution.get("tasks") or []:
        if not isinstance(task, Mapping) or task.get("status") == "SKIPPED":
            continue
        ref = _base_ref(task)
        if ref not in points.types:
            continue
        ran.add(ref)
        kind = points.types[ref]
        if kind in ("SWITCH", "DECISION"):
            label = _case_label(task, by_ref[ref])
            if label is not None:
                taken.add(f"case:{ref}:{label}")
        elif kind == "FORK_JOIN_DYNAMIC":
            forked = (task.get("inputData") or {}).get("forkedTasks")
            if forked or (forked is None and task.get("status") == "COMPLETED"):
                taken.add(f"dynamic:{ref}:forked")
        elif kind == "DO_WHILE":
            iteration = (task.get("outputData") or {}).get("iteration")
            count = iteration if isinstance(iteration, int) else 0
            loop_iterations[ref] = max(loop_iterations.get(ref, 0), count)
    for branch in points.branches:
        if branch.kind == "fork" and branch.owner in ran:
            if branch.first is None or branch.first in ran:
                taken.add(branch.key)
        elif branch.kind == "loop" and branch.owner in ran:
            count = loop_iterations.get(branch.owner, 0)
            if count == 0 and branch.first in ran:
                count = 1  # an execution that does not report the iteration
                loop_iterations[branch.owner] = 1
            if count > 0:
                taken.add(branch.key)
    buckets = {
        ref: "0" if count == 0 else "1" if count == 1 else "many"
        for ref, count in loop_iterations.items()
    }
    return {"tasks": sorted(ran), "branches": sorted(taken), "loops": buckets}


def definition_key(definition: Mapping[str, Any]) -> tuple[str, int, str]:
    """(name, version, digest): runs of the same definition share a key."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
    version = definition.get("version") or 1
    return str(definition.get("name")), int(version) if str(version).isdigit() else 1, digest


@attrs.define
class WorkflowCoverage:
    """What the runs of one workflow definition covered (counts are numbers of runs)."""

    name: str
    version: int
    digest: str
    definition: dict[str, Any]
    runs: int = 0
    tasks: dict[str, int] = attrs.Factory(dict)
    branches: dict[str, int] = attrs.Factory(dict)
    loops: dict[str, dict[str, int]] = attrs.Factory(dict)  # ref -> bucket -> runs

    @property
    def key(self) -> str:
        """``name:version:digest``, the workflow's key in the data file."""
        return f"{self.name}:{self.version}:{self.digest}"

    def points(self) -> Points:
        """The definition's tasks and branches."""
        return points_of(self.definition)

    def add_execution(self, execution: Mapping[str, Any]) -> None:
        """Count one execution of this definition."""
        seen = observe(execution, self.points(), self.definition)
        self.runs += 1
        for ref in seen["tasks"]:
            self.tasks[ref] = self.tasks.get(ref, 0) + 1
        for key in seen["branches"]:
            self.branches[key] = self.branches.get(key, 0) + 1
        for ref, bucket in seen["loops"].items():
            counts = self.loops.setdefault(ref, {})
            counts[bucket] = counts.get(bucket, 0) + 1

    def merge(self, other: WorkflowCoverage) -> None:
        """Add another process's counts for the same definition."""
        self.runs += other.runs
        for ref, n in other.tasks.items():
            self.tasks[ref] = self.tasks.get(ref, 0) + n
        for key, n in other.branches.items():
            self.branches[key] = self.branches.get(key, 0) + n
        for ref, buckets in other.loops.items():
            counts = self.loops.setdefault(ref, {})
            for bucket, n in buckets.items():
                counts[bucket] = counts.get(bucket, 0) + n

    def summary(self) -> tuple[int, int, int, int, list[Branch]]:
        """(tasks covered, tasks, branches covered, branches, branches never taken)."""
        points = self.points()
        tasks_hit = sum(1 for ref in points.tasks if self.tasks.get(ref))
        missing = [b for b in points.branches if not self.branches.get(b.key)]
        return (
            tasks_hit,
            len(points.tasks),
            len(points.branches) - len(missing),
            len(points.branches),
            missing,
        )

    def to_json(self) -> dict[str, Any]:
        """The workflow's entry of the data file (sorted keys: deterministic)."""
        return {
            "name": self.name,
            "version": self.version,
            "digest": self.digest,
            "runs": self.runs,
            "tasks": dict(sorted(self.tasks.items())),
            "branches": dict(sorted(self.branches.items())),
            "loops": {ref: dict(sorted(b.items())) for ref, b in sorted(self.loops.items())},
            "definition": self.definition,
        }

    @classmethod
    def from_json(cls, doc: Any, where: str) -> WorkflowCoverage:
        """Read a workflow's entry of a data file; ``where`` names it in errors."""
        if not isinstance(doc, Mapping) or not isinstance(doc.get("definition"), Mapping):
            msg = f"{where}: expected an object with 'name', 'version', 'definition' and counts"
            raise CoverageError(msg)
        try:
            return cls(
                name=str(doc["name"]),
                version=int(doc["version"]),
                digest=str(doc["digest"]),
                definition=dict(doc["definition"]),
                runs=int(doc.get("runs") or 0),
                tasks={str(k): int(v) for k, v in (doc.get("tasks") or {}).items()},
                branches={str(k): int(v) for k, v in (doc.get("branches") or {}).items()},
                loops={
                    str(ref): {str(k): int(v) for k, v in buckets.items()}
                    for ref, buckets in (doc.get("loops") or {}).items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            msg = f"{where}: malformed workflow entry ({type(err).__name__}: {err})"
            raise CoverageError(msg) from None
