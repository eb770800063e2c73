"""Symbolic references to values that exist only when the workflow runs.

``h.output["a"]["b"]`` and ``h.output.a.b`` both stand for ``${ref.output.a.b}``.
A reference formats as its Conductor expression (so it works inside f-strings)
and refuses every use that would need its runtime value: ``bool``, ``iter``,
``==``, ``len``, ``<``, ``int`` ... each raise :class:`SymbolicValueError`
naming the user's line and pointing at ``switch`` / ``dynamic_fork``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from flowdsl import _trace
from flowdsl.errors import Problem, SymbolicValueError, caller_location

__all__ = ["OutputSchema", "Ref", "expression_of", "is_ref"]

_IDENT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _is_plain_key(key: str) -> bool:
    """True when ``key`` can follow a dot in a JSONPath (else it needs ['...'])."""
    known = _PLAIN.get(key)
    if known is not None:
        return known
    plain = _check_plain(key)
    if len(_PLAIN) < 4096:  # a bounded memo of a pure function: output keys repeat a lot
        _PLAIN[key] = plain
    return plain


_PLAIN: dict[str, bool] = {}


def _check_plain(key: str) -> bool:
    return (
        bool(key) and not key[0].isdigit() and key[0] != "-" and all(c in _IDENT_CHARS for c in key)
    )


# A declared output structure: key -> nested schema (or None when the value is opaque).
OutputSchema = Mapping[str, "OutputSchema | None"]

_ADVICE = {
    "bool": (
        "tests",
        "with `if`/`and`/`or`/`not`",
        "Use flowdsl.switch(value, {case: branch, ...}) to branch on it when the workflow runs.",
    ),
    "iter": (
        "iterates over",
        "with `for` or unpacking",
        "Use flowdsl.dynamic_fork(task, inputs) to run a task once per element at run time, "
        "or flowdsl.do_while(body, condition, items=...) to loop over it.",
    ),
    "eq": (
        "compares",
        "with `==`/`!=`",
        "Use flowdsl.switch(value, {case: branch, ...}), or flowdsl.js('$.x == 1', x=value) "
        "inside switch/do_while for a JavaScript test.",
    ),
    "order": (
        "compares",
        "with `<`/`>`",
        'Use flowdsl.switch(flowdsl.js(\'$.x > 10 ? "big" : "small"\', x=value), {...}).',
    ),
    "len": (
        "takes len() of",
        "",
        "Use flowdsl.dynamic_fork(task, inputs) to process each element at run time, or compute "
        "the length with flowdsl.inline('$.items.length', items=value) and branch on it with "
        "flowdsl.switch.",
    ),
    "number": (
        "converts to a number",
        "",
        "Pass the reference itself as a task input; the task receives the runtime value.",
    ),
    "hash": (
        "hashes",
        "(as a dict key or set member)",
        "Use string keys; references can only be values.",
    ),
    "contains": (
        "tests membership in",
        "with `in`",
        "Use flowdsl.js('$.items.includes($.x)', items=..., x=...) inside switch.",
    ),
}


class Ref:
    """A symbolic reference ``${path}`` to data that exists only at run time."""

    __slots__ = ("_path", "_schema", "_task")

    def __init__(
        self, path: str, task: str | None = None, schema: OutputSchema | None = None
    ) -> None:
        self._path = path
        self._task = task  # the taskReferenceName this reads from, or None for workflow.*
        self._schema = schema

    # -- building longer paths -------------------------------------------------
    def _child(self, key: str | int) -> Ref:
        if isinstance(key, int) and not isinstance(key, bool):
            return Ref(f"{self._path}[{key}]", self._task, None)
        if not isinstance(key, str):
            msg = f"a reference can be indexed by a str key or an int position, not {type(key).__name__}"
            raise SymbolicValueError(msg, caller_location())
        schema = self._schema
        sub: OutputSchema | None = None
        if schema is not None:
            if key in schema:
                sub = schema[key]
            else:
                self._report_unknown_key(key, schema)
        if _is_plain_key(key):
            return Ref(f"{self._path}.{key}", self._task, sub)
        escaped = key.replace("\\", "\\\\").replace("'", "\\'")
        return Ref(f"{self._path}['{escaped}']", self._task, sub)

    def _report_unknown_key(self, key: str, schema: OutputSchema) -> None:
        import difflib

        declared = sorted(schema)
        close = difflib.get_close_matches(key, declared, n=1)
        hint = f"Did you mean '{close[0]}'?" if close else "Declare it in the task's return type."
        what = (
            f"task '{self._task}' has no output '{key}'"
            if self._path == f"{self._task}.output"
            else f"'${{{self._path}}}' has no key '{key}'"
        )
        message = (
            f"{what}; its declared return type has "
            f"{', '.join(repr(k) for k in declared) or 'no keys'}"
        )
        problem = Problem(
            message, code="unknown-output", location=caller_location(), hint=hint, task=self._task
        )
        tracer = _trace.active()
        if tracer is None:
            raise SymbolicValueError(f"{message}. {hint}", problem.location)
        tracer.report(problem)

    def __getattr__(self, name: str) -> Ref:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._child(name)

    def __getitem__(self, key: str | int) -> Ref:
        return self._child(key)

    # -- what works: formatting as a Conductor expression -----------------------
    def __format__(self, spec: str) -> str:
        return "${" + self._path + "}"

    def __str__(self) -> str:
        return "${" + self._path + "}"

    def __repr__(self) -> str:
        return f"Ref('${{{self._path}}}')"

    def __add__(self, other: object) -> str:
        if isinstance(other, str | Ref):
            return f"{self}{other}"
        self._fail("number")

    def __radd__(self, other: object) -> str:
        if isinstance(other, str):
            return f"{other}{self}"
        self._fail("number")

    # -- what fails loudly ------------------------------------------------------
    def _fail(self, what: str) -> NoReturn:
        verb, how, advice = _ADVICE[what]
        tracer = _trace.active()
        where = f"Workflow '{tracer.workflow_name}' " if tracer is not None else "Your code "
        how_text = f" {how}" if how else ""
        msg = (
            f"{where}{verb} the task output '${{{self._path}}}'{how_text}. Task outputs exist only "
            f"when the workflow runs on Conductor, so Python code in a workflow function cannot "
            f"read them. {advice}"
        )
        raise SymbolicValueError(msg, caller_location())

    def __bool__(self) -> bool:
        self._fail("bool")

    def __iter__(self) -> NoReturn:
        self._fail("iter")

    def __len__(self) -> int:
        self._fail("len")

    def __contains__(self, item: object) -> bool:
        self._fail("contains")

    def __eq__(self, other: object) -> bool:
        self._fail("eq")

    def __ne__(self, other: object) -> bool:
        self._fail("eq")

    def __lt__(self, other: object) -> bool:
        self._fail("order")

    def __le__(self, other: object) -> bool:
        self._fail("order")

    def __gt__(self, other: object) -> bool:
        self._fail("order")

    def __ge__(self, other: object) -> bool:
        self._fail("order")

    def __hash__(self) -> int:
        self._fail("hash")

    def __int__(self) -> int:
        self._fail("number")

    def __float__(self) -> float:
        self._fail("number")

    def __index__(self) -> int:
        self._fail("number")

    def __mul__(self, other: object) -> NoReturn:
        self._fail("number")

    __rmul__ = __sub__ = __rsub__ = __truediv__ = __floordiv__ = __mod__ = __mul__


def is_ref(value: object) -> bool:
    """True when ``value`` is a symbolic :class:`Ref`."""
    return type(value) is Ref


def expression_of(ref: Ref) -> str:
    """The Conductor expression ``${...}`` that ``ref`` stands for."""
    return "${" + ref._path + "}"


def ref_task(ref: Ref) -> str | None:
    """The taskReferenceName ``ref`` reads from (None for ``workflow.*``)."""
    return ref._task


def path_of(ref: Ref) -> str:
    """The path inside ``${...}``."""
    return ref._path


def make_ref(path: str, task: str | None = None, schema: Any = None) -> Ref:
    """Build a reference (internal helper for the authoring API)."""
    return Ref(path, task, schema)
