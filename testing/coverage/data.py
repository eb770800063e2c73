"""Coverage data: every workflow definition the runs of a session used, and what they covered.

The data file is JSON (sorted keys, so the same runs give the same bytes)::

    {"format": "flowdsl-coverage/1",
     "workflows": {"<name>:<version>:<digest>": {"name": ..., "version": ..., "digest": ...,
                   "runs": 3, "tasks": {ref: runs}, "branches": {key: runs},
                   "loops": {ref: {"0"|"1"|"many": runs}}, "definition": {...}}}}

Several files (one per process: ``.flowdsl-cov.<suffix>``) combine by adding their counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testing.coverage.model import CoverageError, WorkflowCoverage, definition_key

if TYPE_CHECKING:
    from testing.simulator import Run

__all__ = ["FORMAT", "CoverageData"]

FORMAT = "flowdsl-coverage/1"


class CoverageData:
    """The coverage of every workflow definition seen, keyed ``name:version:digest``."""

    def __init__(self) -> None:
        self.workflows: dict[str, WorkflowCoverage] = {}

    def add_execution(self, execution: Mapping[str, Any]) -> None:
        """Count one execution record (its embedded ``workflowDefinition`` says what it runs)."""
        definition = execution.get("workflowDefinition")
        if not isinstance(definition, Mapping):
            return  # nothing to measure against
        name, version, digest = definition_key(definition)
        key = f"{name}:{version}:{digest}"
        found = self.workflows.get(key)
        if found is None:
            found = self.workflows[key] = WorkflowCoverage(
                name, version, digest, json.loads(json.dumps(definition))
            )
        found.add_execution(execution)

    def add_run(self, run: Run) -> None:
        """Count a simulated run and every child workflow (sub-workflow) it started."""
        self.add_execution(run.execution)
        for child in run.children:
            self.add_execution(child)

    def merge(self, other: CoverageData) -> None:
        """Add another data set's counts."""
        for key, cov in other.workflows.items():
            mine = self.workflows.get(key)
            if mine is None:
                self.workflows[key] = WorkflowCoverage.from_json(cov.to_json(), key)
            else:
                mine.merge(cov)

    def sorted(self) -> list[WorkflowCoverage]:
        """The workflows by name, version and digest."""
        return [self.workflows[k] for k in sorted(self.workflows)]

    def to_json(self) -> str:
        """The data file's text (deterministic)."""
        doc = {"format": FORMAT, "workflows": {c.key: c.to_json() for c in self.sorted()}}
        return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def write(self, path: str | Path) -> Path:
        """Write the data file."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.to_json(), encoding="utf-8")
        return out

    @classmethod
    def read(cls, path: str | Path) -> CoverageData:
        """Read a data file written by :meth:`write`."""
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            raise CoverageError(f"cannot read coverage data {path}: {err.strerror}") from None
        except ValueError as err:
            raise CoverageError(f"{path}: not a flowdsl coverage data file: {err}") from None
        if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
            msg = f"{path}: $.format: expected {FORMAT!r} (a file written by --flowdsl-cov)"
            raise CoverageError(msg)
        data = cls()
        workflows = doc.get("workflows")
        if not isinstance(workflows, Mapping):
            raise CoverageError(f"{path}: $.workflows: expected an object")
        for key, entry in workflows.items():
            data.workflows[str(key)] = WorkflowCoverage.from_json(
                entry, f"{path}: $.workflows[{json.dumps(key)}]"
            )
        return data

    @classmethod
    def combine(cls, paths: Iterable[str | Path]) -> CoverageData:
        """One data set adding up several data files."""
        data = cls()
        for path in sorted(str(p) for p in paths):
            data.merge(cls.read(path))
        return data
