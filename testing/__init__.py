"""flowdsl's testing package: a deterministic Conductor simulator on a fake clock.

``Simulator`` runs a workflow (a ``@workflow`` function, a compiled workflow or any Conductor JSON)
and returns a ``Run``; ``flowdsl_sim`` is its pytest fixture (``testing.pytest_plugin``) and
``flowdsl simulate`` its command. Importing the package loads nothing heavy: pytest imports it to
load the plugin, so names are resolved on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler._lazy import lazy_getattr

if TYPE_CHECKING:
    from testing.errors import SimulationError as SimulationError
    from testing.mocks import MockBuilder as MockBuilder
    from testing.mocks import Mocks as Mocks
    from testing.mocks import WorkerStep as WorkerStep
    from testing.simulator import Run as Run
    from testing.simulator import Simulator as Simulator
    from testing.simulator import TaskView as TaskView

__all__ = ["MockBuilder", "Mocks", "Run", "SimulationError", "Simulator", "TaskView", "WorkerStep"]

_WHERE = {
    "SimulationError": "testing.errors",
    "MockBuilder": "testing.mocks",
    "Mocks": "testing.mocks",
    "WorkerStep": "testing.mocks",
    "Run": "testing.simulator",
    "Simulator": "testing.simulator",
    "TaskView": "testing.simulator",
}


__getattr__ = lazy_getattr(__name__, _WHERE)
