"""Finding ``@workflow`` functions from a command-line TARGET.

TARGET is ``path/to/file.py`` or ``package.module``, optionally followed by
``:function`` for one workflow (else every workflow the module defines).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from flowdsl.errors import FlowError
from flowdsl.workflow import WorkflowFunction

__all__ = ["TargetError", "load_workflows"]


class TargetError(FlowError, ValueError):
    """A TARGET cannot be loaded. ``usage`` is True when the TARGET itself is malformed or missing."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        self.usage = usage
        super().__init__(message)


def _split(target: str) -> tuple[str, str | None]:
    # "C:\\x.py:wf" on Windows has two colons; the function part never contains a path separator.
    head, sep, tail = target.rpartition(":")
    if sep and tail and "/" not in tail and "\\" not in tail and head:
        return head, tail
    return target, None


def _import_failure(target: str, err: BaseException) -> TargetError:
    frames = traceback.extract_tb(err.__traceback__)
    user = [f for f in frames if "importlib" not in f.filename]
    where = f" ({os.path.relpath(user[-1].filename)}:{user[-1].lineno})" if user else ""
    if isinstance(err, SyntaxError) and err.filename:
        where = f" ({os.path.relpath(err.filename)}:{err.lineno})"
    if isinstance(err, FlowError):
        return TargetError(f"cannot load {target}: {err}")
    return TargetError(f"cannot load {target}: {type(err).__name__}: {err}{where}")


def _load_module(spec_text: str) -> ModuleType:
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    if spec_text.endswith(".py") or os.sep in spec_text or "/" in spec_text:
        path = Path(spec_text)
        if not path.is_file():
            raise TargetError(f"no such file: {spec_text}", usage=True)
        resolved = path.resolve()
        # Import it as Python would from its project: climb out of the packages (folders with an
        # __init__.py) that hold it, so that `from examples.image_resize import ...` works
        # whatever the working directory.
        root = resolved.parent
        while (root / "__init__.py").is_file() and root.parent != root:
            root = root.parent
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        module_name = ".".join(resolved.relative_to(root).with_suffix("").parts)
        if module_name in sys.modules and getattr(
            sys.modules[module_name], "__file__", None
        ) == str(resolved):
            return sys.modules[module_name]
        spec = importlib.util.spec_from_file_location(module_name, resolved)
        if spec is None or spec.loader is None:
            raise TargetError(f"cannot import {spec_text}", usage=True)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:
            del sys.modules[module_name]
            raise _import_failure(spec_text, err) from None
        return module
    try:
        return importlib.import_module(spec_text)
    except ModuleNotFoundError as err:
        if err.name and spec_text.startswith(err.name):
            raise TargetError(
                f"no module named {spec_text!r} (and no such .py file)", usage=True
            ) from None
        raise _import_failure(spec_text, err) from None
    except Exception as err:
        raise _import_failure(spec_text, err) from None


def load_workflows(target: str) -> list[WorkflowFunction[..., Any]]:
    """The workflow functions TARGET names, in the order the module defines them.

    Raises:
        TargetError: the file or module is missing, fails to import, or holds no workflow.
    """
    module_part, function = _split(target)
    module = _load_module(module_part)
    if function is not None:
        found = getattr(module, function, None)
        if found is None:
            raise TargetError(f"{module_part} has no attribute '{function}'", usage=True)
        if not isinstance(found, WorkflowFunction):
            raise TargetError(
                f"{module_part}:{function} is a {type(found).__name__}, not a @workflow function",
                usage=True,
            )
        return [found]
    workflows = [v for v in vars(module).values() if isinstance(v, WorkflowFunction)]
    own = [w for w in workflows if getattr(w.fn, "__module__", None) == module.__name__]
    if not (own or workflows):
        raise TargetError(f"{module_part} defines no @workflow function", usage=True)
    return own or workflows
