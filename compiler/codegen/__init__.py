"""Conductor JSON -> flowdsl Python (``flowdsl import``) and the round-trip normal form.

Importing the package loads nothing heavy; names resolve on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler._lazy import lazy_getattr

if TYPE_CHECKING:
    from compiler.codegen.generate import GeneratedModule as GeneratedModule
    from compiler.codegen.generate import generate_module as generate_module
    from compiler.codegen.normalise import normalise_workflow_def as normalise_workflow_def
    from compiler.codegen.normalise import upgrade_legacy as upgrade_legacy
    from compiler.codegen.roundtrip import import_file as import_file
    from compiler.codegen.roundtrip import round_trip as round_trip
    from compiler.codegen.structure import CodegenError as CodegenError

__all__ = [
    "CodegenError",
    "GeneratedModule",
    "generate_module",
    "import_file",
    "normalise_workflow_def",
    "round_trip",
    "upgrade_legacy",
]

_WHERE = {
    "CodegenError": "compiler.codegen.structure",
    "GeneratedModule": "compiler.codegen.generate",
    "generate_module": "compiler.codegen.generate",
    "normalise_workflow_def": "compiler.codegen.normalise",
    "upgrade_legacy": "compiler.codegen.normalise",
    "import_file": "compiler.codegen.roundtrip",
    "round_trip": "compiler.codegen.roundtrip",
}


__getattr__ = lazy_getattr(__name__, _WHERE)
