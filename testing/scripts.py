"""Script evaluation for the simulator: Conductor's JavaScript tasks and JSON_JQ_TRANSFORM.

JavaScript (SWITCH/DECISION ``javascript`` evaluators, DO_WHILE ``loopCondition``, INLINE,
LAMBDA) runs in QuickJS (the ``quickjs`` package) standing in for Conductor's GraalJS: ``$`` is
a deep copy of the bindings and the value of a script is its completion value (the value of
the last expression statement). Every evaluation gets a fresh, isolated context with a CPU-time
limit and a heap limit, a deterministic ``Math.random`` and, optionally, a frozen clock.

JSON_JQ_TRANSFORM queries run in libjq (the ``jq`` package) standing in for jackson-jq.

Results come back as plain JSON values with Conductor's number rule: integral numbers become
``int`` (Java int/long), the rest stay ``float`` (Java double).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

import jq
import quickjs

__all__ = [
    "JqError",
    "ScriptError",
    "case_string",
    "eval_jq",
    "eval_js",
    "eval_lambda",
    "to_boolean",
]

DEFAULT_TIME_LIMIT_MS: Final = 4000
DEFAULT_MEMORY_LIMIT_BYTES: Final = 32 * 2**20

_LONG_MIN: Final = -(2**63)
_LONG_MAX: Final = 2**63 - 1

# Installed before the user script runs. It returns JSON.stringify (captured before the script
# can replace it), makes Math.random a fixed-seed PRNG (mulberry32) and, when ``now`` is not
# null, freezes Date.now() and ``new Date()`` at ``now`` milliseconds since the epoch.
_PRELUDE: Final = r"""
(function (now) {
  var stringify = JSON.stringify.bind(JSON);
  var seed = 0x2545f491;
  Math.random = function random() {
    seed = (seed + 0x6d2b79f5) | 0;
    var t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Conductor hands GraalJS Java lists, whose scripts often call .get(i) and .size(); give
  // arrays the same (non-enumerable, so JSON and for-in are unchanged).
  Object.defineProperty(Array.prototype, "get", {value: function (i) { return this[i]; }});
  Object.defineProperty(Array.prototype, "size", {value: function () { return this.length; }});
  if (now !== null) {
    var RealDate = Date;
    var FrozenDate = function Date() {
      if (!new.target) { return new RealDate(now).toString(); }
      return arguments.length ? new RealDate(...arguments) : new RealDate(now);
    };
    FrozenDate.prototype = RealDate.prototype;
    RealDate.prototype.constructor = FrozenDate;
    FrozenDate.now = function () { return now; };
    FrozenDate.parse = RealDate.parse;
    FrozenDate.UTC = RealDate.UTC;
    globalThis.Date = FrozenDate;
  }
  return stringify;
})
"""

# A compile-time SyntaxError's stack holds only ``at <input>:N`` lines; a SyntaxError thrown
# while running (JSON.parse, eval, ``throw new SyntaxError``) also has call frames.
_SOURCE_FRAME: Final = re.compile(r"\s*at <input>:\d+")
# libjq 1.7+ says ``Cannot index string with string ("array")``; jackson-jq, and so Conductor,
# says ``Cannot index string with string "array"``.
_JQ_INDEX_ERROR: Final = re.compile(r"Cannot index (\w+) with (\w+) \((.*)\)", re.DOTALL)


class ScriptError(Exception):
    """A script failed: a syntax error, a thrown exception, or a time or memory limit hit.

    ``kind`` is ``"syntax"``, ``"runtime"``, ``"timeout"`` or ``"memory"``; ``message`` is the
    human text (e.g. ``"ReferenceError: 'foo' is not defined"``), also ``str(error)``.
    """

    def __init__(self, kind: str, message: str) -> None:
        """Record the failure ``kind`` and its ``message``."""
        super().__init__(message)
        self.kind = kind
        self.message = message


class JqError(Exception):
    """A jq query failed to compile or to run; ``message`` is jq's error text."""

    def __init__(self, message: str) -> None:
        """Record jq's ``message``."""
        super().__init__(message)
        self.message = message


def eval_js(
    expression: str,
    bindings: Mapping[str, Any],
    *,
    time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES,
    now_ms: int | None = None,
) -> Any:
    """Evaluate a Conductor JavaScript ``expression`` with ``$`` bound to a copy of ``bindings``.

    The result is the completion value of the script (the value of its last expression
    statement), so plain expressions, statement lists and IIFEs all work. It comes back as
    plain JSON values (objects -> dict, arrays -> list, undefined -> None, integral numbers ->
    int). Mutations of ``$`` never reach ``bindings``.

    ``time_limit_ms`` caps the CPU time of the script and ``memory_limit_bytes`` the heap it
    may allocate beyond the bindings; ``now_ms`` (epoch milliseconds), when given, freezes
    ``Date.now()`` and ``new Date()`` so the result does not depend on the wall clock.

    Raises:
        ScriptError: on a syntax error, an uncaught exception or a limit hit.
    """
    payload = json.dumps(_plain(bindings), allow_nan=False)
    context = quickjs.Context()
    limit_s = max(time_limit_ms, 1) / 1000
    try:
        stringify = context.eval(_PRELUDE)(None if now_ms is None else float(now_ms))
        context.set("$", context.parse_json(payload))
        context.set_memory_limit(context.memory()["malloc_size"] + memory_limit_bytes)
        context.set_time_limit(limit_s)
        started = time.process_time()
        try:
            value = context.eval(expression)
        except (ValueError, UnicodeError, TypeError, SystemError) as exc:
            if isinstance(exc, ValueError) and "null character" in str(exc):
                raise ScriptError("syntax", "SyntaxError: NUL character in the script") from None
            raise ScriptError("runtime", f"the result is not a JSON value: {exc}") from None
        if isinstance(value, quickjs.Object):
            context.set_time_limit(max(limit_s - (time.process_time() - started), 0.001))
            text = stringify(value)
            value = None if text is None else json.loads(text)
    except quickjs.JSException as exc:
        raise _script_error(exc, time_limit_ms) from None
    return _normalise(value)


def eval_lambda(
    script: str,
    bindings: Mapping[str, Any],
    *,
    time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES,
    now_ms: int | None = None,
) -> Any:
    """Evaluate a LAMBDA ``scriptExpression``: a function body whose ``return`` is the result.

    Conductor wraps it as ``function scriptFun(){<script>} scriptFun();``, exactly as here
    (so a trailing ``//`` comment swallows the brace there too). Otherwise as :func:`eval_js`.
    """
    return eval_js(
        "function scriptFun(){" + script + "} scriptFun();",
        bindings,
        time_limit_ms=time_limit_ms,
        memory_limit_bytes=memory_limit_bytes,
        now_ms=now_ms,
    )


def to_boolean(value: Any) -> bool:
    """Conductor's ``toBoolean`` for DO_WHILE: a bool as is, a number ``> 0``, else False."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value > 0
    return False


def case_string(value: Any) -> str:
    """Render a SWITCH result as Java's ``"" + result`` does, for matching case keys.

    None -> ``"null"``, booleans -> ``"true"``/``"false"``, integral numbers as Java longs
    (``2.0`` -> ``"2"``), other numbers as Java doubles (``"1.5"``, ``"1.0E-5"``, ``"NaN"``),
    strings as is, dicts and lists in Java ``toString`` form (``"{a=1, b=[1, 2]}"``).
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{case_string(k)}={case_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(case_string(item) for item in value) + "]"
    return str(value)


def eval_jq(query: str, data: Any) -> list[Any]:
    """Return every result of the jq ``query`` run on ``data`` (JSON_JQ_TRANSFORM).

    Integral numbers come back as ``int``. A query with no result gives ``[]``.

    Raises:
        JqError: with jq's message when the query does not compile or fails while running.
    """
    try:
        results = _compile_jq(query).input_value(_plain(data)).all()
    except ValueError as exc:
        message = str(exc)
        match = _JQ_INDEX_ERROR.fullmatch(message)
        if match:
            message = f"Cannot index {match[1]} with {match[2]} {match[3]}"
        raise JqError(message) from None
    return [_normalise(result) for result in results]


@lru_cache(maxsize=256)
def _compile_jq(query: str) -> Any:
    """Compile a jq program once; compiled programs are reusable for any input."""
    return jq.compile(query)


def _script_error(exc: Exception, time_limit_ms: int) -> ScriptError:
    """Classify a QuickJS exception as a :class:`ScriptError`."""
    text = str(exc).rstrip("\n")
    head, sep, stack = text.partition("\n    at ")
    if not sep:
        # A thrown non-Error value has no stack: QuickJS appends "undefined".
        head = head.removesuffix("\nundefined")
    frames = ("    at " + stack).split("\n") if sep else []
    if isinstance(exc, quickjs.StackOverflow):
        return ScriptError("runtime", "InternalError: stack overflow")
    if head == "InternalError: interrupted":
        return ScriptError("timeout", f"the script ran longer than {time_limit_ms} ms")
    if head == "InternalError: out of memory":
        return ScriptError("memory", "InternalError: out of memory")
    if head.startswith("SyntaxError") and all(_SOURCE_FRAME.fullmatch(f) for f in frames):
        return ScriptError("syntax", head)
    return ScriptError("runtime", head)


def _plain(value: Any) -> Any:
    """Copy ``value`` into plain JSON types; non-finite floats become None, as JSON has none."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _normalise(value: Any) -> Any:
    """Turn integral floats (within Java's long range) into ints, recursively."""
    if isinstance(value, float):
        if value.is_integer() and _LONG_MIN <= value <= _LONG_MAX:
            return int(value)
        return value
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    return value


def _java_double(value: float) -> str:
    """Format a float as Java would after Conductor's integral-to-long conversion."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and _LONG_MIN <= value <= _LONG_MAX:
        return str(int(value))
    if 1e-3 <= abs(value) < 1e7:
        return format(Decimal(repr(value)), "f")
    # Java's Double.toString scientific form: shortest digits, "d.ddd" mantissa, "E" exponent.
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    mantissa = text[0] + "." + (text[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{exponent + len(text) - 1}"
