"""flowdsl's testing package: the deterministic Conductor simulator, mocks and pytest plugin.

Not built yet (issue 3); the package exists so that the layering
(flowdsl <- compiler <- testing) is fixed from the start.
"""

from __future__ import annotations

__all__: list[str] = []
