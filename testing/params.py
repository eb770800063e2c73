"""Conductor's parameter / expression resolution (``ParametersUtils``), for the simulator.

:func:`resolve` walks an input template (a task's ``inputParameters``, a workflow's
``outputParameters``, ...) and replaces every ``${path}`` placeholder by the value found at
``path`` in an evaluation document whose top-level keys are ``workflow`` and the task
reference names (reference §6.3; building that document is the caller's job).

Rules (Conductor's ``replaceVariables``): dict values and list items are walked, keys never;
a string that is exactly one placeholder keeps its value's JSON type, otherwise placeholders
become :func:`java_string` text and then ``$${`` becomes ``${`` (the escape). Nested
placeholders resolve first. Special names, secrets and env: see :func:`resolve`. Paths are a
Jayway JsonPath subset, see :func:`lookup`.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = [
    "ExpressionError",
    "java_string",
    "lookup",
    "resolve",
    "resolve_v1",
    "substitute_secrets",
]


class ExpressionError(ValueError):
    """A placeholder path that cannot be parsed, or uses JsonPath outside the supported subset."""


_SECRETS_PREFIX = "workflow.secrets."
_ENV_PREFIX = "workflow.env."
_SYSTEM_PARAMS = frozenset({"CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"})
_SECRET_RE = re.compile(r"\$\{workflow\.secrets\.([^}]+)\}")
_INT_RE = re.compile(r"-?\d+")
_QUOTED_RE = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")  # Java BigDecimal
_FUNCTIONS = frozenset({"length", "size"})
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_FILTER_TOKEN = re.compile(
    r"""\s*(?:(?P<op>==|!=|<=|>=|&&|\|\||[<>!])
    |(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    |(?P<path>@(?:\.\.?[^\s.\[\]()=!<>&|]*|\[[^\]]*\])*)
    |(?P<word>true|false|null)\b)""",
    re.VERBOSE,
)
_MISSING: Any = object()  # 'no value at this path' in a filter comparison (unlike JSON null)


def java_string(value: Any) -> str:
    """``Objects.toString(value)`` as Conductor interpolates: ``{a=1, b=[x, null]}``, ``2.0``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        items = (f"{java_string(k)}={java_string(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    return str(value)


def _java_double(x: float) -> str:
    """Java's ``Double.toString``: plain in [1e-3, 1e7), else ``d.dddE<n>``; shortest digits."""
    if math.isnan(x) or math.isinf(x):
        return "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return repr(x)  # Python's repr is positional and shortest in this range, like Java's
    sign, digits, exponent = Decimal(repr(x)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{len(digits) + int(exponent) - 1}"


def _map_strings(value: Any, fn: Callable[[str], Any]) -> Any:
    """A copy of ``value`` with ``fn`` applied to each string among its dict values/list items."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, Mapping):
        return {key: _map_strings(item, fn) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_map_strings(item, fn) for item in value]
    return value


def resolve(
    template: Any,
    doc: Mapping[str, Any],
    *,
    task_id: str | None = None,
    secrets: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Any:
    """Resolve a Conductor input template (inputParameters, outputParameters ...) against `doc`.

    Missing data gives None (``"null"`` in text); ``${}`` gives ``""``. ``${CPEWF_TASK_ID}`` is
    ``task_id``; without one it stays literal, as do ``${NETFLIX_ENV}``/``${NETFLIX_STACK}``.
    ``${workflow.env.N[.path]}`` reads ``env`` (None without it). ``${workflow.secrets.N}``
    stays literal; given ``secrets``, Conductor's later ``substituteSecrets`` pass then runs
    over the whole result (so it also reaches escaped and copied-in references). The result
    is new: ``template`` and ``doc`` are not mutated and nothing in it aliases ``doc``.

    Raises :class:`ExpressionError` for a path that cannot be parsed (Conductor would log it
    and use null), except one assembled from nested placeholders: that gives None.
    """
    result = _map_strings(template, lambda text: _resolve_string(text, doc, task_id, env, 0))
    return result if secrets is None else substitute_secrets(result, secrets)


def resolve_v1(
    params: Mapping[str, Any], workflow_input: Mapping[str, Any], task: Callable[[str], Any]
) -> dict[str, Any]:
    """Inputs of a ``schemaVersion: 1`` definition, as Conductor's ``getTaskInputV1`` reads them.

    Every value is a path ``source.type.name`` without ``${}``: ``workflow.<any>.name`` is the
    workflow input ``name``; ``ref.input.name`` / ``ref.<other>.name`` the input / output ``name``
    of the latest attempt of ``ref`` (``task(ref)``; a key is left out when there is none).

    Raises:
        ValueError: a value that is not three dot-separated parts (Conductor's decider throws).
    """
    out: dict[str, Any] = {}
    for key, value in params.items():
        path = java_string(value)
        parts = path.split(".") if "." in path else [path]
        while parts and parts[-1] == "":  # Java's split drops trailing empty strings
            parts.pop()
        if len(parts) != 3:
            msg = (
                f"Invalid input expression for {key}, paramPathComponents.size={len(parts)}, "
                f"expression={path}"
            )
            raise ValueError(msg)
        source, kind, name = parts
        if source == "workflow":
            out[key] = workflow_input.get(name)
            continue
        found = task(source)
        if found is not None:
            out[key] = (found.input if kind == "input" else found.output).get(name)
    return out


def substitute_secrets(value: Any, secrets: Mapping[str, str]) -> Any:
    """Only the secrets pass of :func:`resolve`, for an already resolved (persisted) input."""
    return _map_strings(value, lambda text: _substitute_secret_refs(text, secrets))


def _placeholders(text: str) -> list[tuple[int, int]]:
    """Spans of the top-level ``${...}`` in ``text``: balanced braces, not preceded by ``$``."""
    spans: list[tuple[int, int]] = []
    pos = text.find("${")
    while pos >= 0:
        end = _closing(text, pos + 1, "{", "}") if pos == 0 or text[pos - 1] != "$" else None
        if end is None:
            pos = text.find("${", pos + 1)
        else:
            spans.append((pos, end + 1))
            pos = text.find("${", end + 1)
    return spans


def _closing(text: str, start: int, opener: str, closer: str, quotes: str = "") -> int | None:
    """Index of the ``closer`` balancing the ``opener`` at ``start`` (skipping quoted text)."""
    depth, quote, pos = 0, "", start
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif char in quotes:
            quote = char
        elif char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return None


def _resolve_string(
    text: str,
    doc: Mapping[str, Any],
    task_id: str | None,
    env: Mapping[str, str] | None,
    depth: int,
) -> Any:
    """One string: typed value if it is exactly one placeholder (at depth 0), else a string."""
    replacements: list[tuple[int, int, Any]] = []
    for start, end in _placeholders(text):
        match = text[start:end]
        inner = match[2:-1]
        path = str(_resolve_string(inner, doc, task_id, env, depth + 1))
        if not path.strip():
            replacements.append((start, end, ""))
        elif path.startswith(_SECRETS_PREFIX):
            replacements.append((start, end, match))  # deferred to the hand-off copy
        elif path.startswith(_ENV_PREFIX):
            ref = path[len(_ENV_PREFIX) :]
            replacements.append((start, end, None if env is None else _named(env, ref)))
        elif path in _SYSTEM_PARAMS:
            if path == "CPEWF_TASK_ID" and task_id is not None:
                replacements.append((start, end, task_id))
        else:
            try:
                replacements.append((start, end, _evaluate(path, doc)))
            except ExpressionError:
                if path == inner:
                    raise
                replacements.append((start, end, None))
    if depth == 0 and len(replacements) == 1 and replacements[0][:2] == (0, len(text)):
        return copy.deepcopy(replacements[0][2])
    out = text
    for start, end, value in reversed(replacements):
        out = out[:start] + java_string(value) + out[end:]
    return out.replace("$${", "${")


def _named(source: Mapping[str, str], ref: str) -> Any:
    """``NAME`` or ``NAME.json.path`` from a secrets/env mapping; JSON text is parsed for a path."""
    name, _, rest = ref.partition(".")
    value: Any = source.get(name)
    if not rest or value is None:
        return value
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return _evaluate(rest, value)


def _substitute_secret_refs(text: str, secrets: Mapping[str, str]) -> Any:
    """Conductor's ``substituteSecrets`` on one string: a whole ref keeps its type, others
    interpolate (a missing secret as ``""``)."""
    whole = _SECRET_RE.fullmatch(text)
    if whole:
        return copy.deepcopy(_named(secrets, whole.group(1)))

    def one(match: re.Match[str]) -> str:
        found = _named(secrets, match.group(1))
        return "" if found is None else java_string(found)

    return _SECRET_RE.sub(one, text)


class _Sel(NamedTuple):
    """One path step. ``kind``/``arg``: ``key``/name, ``index``/int, ``wild``,
    ``filter``/expression, ``scan``/inner step, ``func``/name."""

    kind: str
    arg: Any = None


_Path = tuple[_Sel, ...]
# Filter expressions are tuples: ("cmp", op, left, right), ("exists", path, want) and
# ("&&" | "||", parts); operands are ("lit", value) or ("path", path).
_Expr = tuple[Any, ...]


@lru_cache(maxsize=4096)
def _parse_path(text: str) -> _Path:
    """Parse a path (leading ``$`` optional) into steps, or raise :class:`ExpressionError`."""
    path = text.strip()
    if not path:
        raise ExpressionError("empty path")
    pos = 1 if path[0] == "$" else 0
    if path[0] not in "$[":
        path = "." + path
    steps: list[_Sel] = []
    while pos < len(path):
        if steps and steps[-1].kind == "func":
            raise ExpressionError(f"a function must end the path {text!r}")
        if path.startswith("..", pos):
            bracket = path.startswith("[", pos + 2)
            step, pos = _parse_bracket(path, pos + 2) if bracket else _parse_name(path, pos + 2)
            if step.kind == "func":
                raise ExpressionError(f"a function cannot follow '..' in path {text!r}")
            step = _Sel("scan", step)
        elif path[pos] == ".":
            step, pos = _parse_name(path, pos + 1)
        elif path[pos] == "[":
            step, pos = _parse_bracket(path, pos)
        else:
            raise ExpressionError(f"unexpected {path[pos]!r} in path {text!r}")
        steps.append(step)
    return tuple(steps)


def _parse_name(path: str, pos: int) -> tuple[_Sel, int]:
    """A dot-form name (anything up to ``.``, ``[`` or ``(``), ``*``, or ``length()``."""
    end = min([i for i in (path.find(c, pos) for c in ".[(") if i >= 0], default=len(path))
    name = path[pos:end]
    if not name or any(char.isspace() for char in name):
        raise ExpressionError(f"bad property name {name!r} in path {path!r} (use ['...'])")
    if path.startswith("(", end):
        if name not in _FUNCTIONS or not path.startswith("()", end):
            raise ExpressionError(f"unsupported function {name!r} in path {path!r}")
        return _Sel("func", name), end + 2
    return (_Sel("wild") if name == "*" else _Sel("key", name)), end


def _parse_bracket(path: str, pos: int) -> tuple[_Sel, int]:
    """``['key']``, ``["key"]``, ``[n]``, ``[*]`` or ``[?(...)]``."""
    pos = _skip_space(path, pos + 1)
    quoted = _QUOTED_RE.match(path, pos)
    if quoted:
        step, pos = _Sel("key", _unquote(quoted)), quoted.end()
    elif path.startswith("?", pos):
        pos = _skip_space(path, pos + 1)
        close = _closing(path, pos, "(", ")", quotes="'\"") if path.startswith("(", pos) else None
        if close is None:
            raise ExpressionError(f"bad filter in path {path!r}")
        step, pos = _Sel("filter", _parse_filter(path[pos + 1 : close])), close + 1
    else:
        close = path.find("]", pos)
        if close < 0:
            raise ExpressionError(f"unclosed '[' in path {path!r}")
        content = path[pos:close].strip()
        if content != "*" and not _INT_RE.fullmatch(content):
            raise ExpressionError(f"unsupported bracket [{content}] in path {path!r}")
        step, pos = (_Sel("wild") if content == "*" else _Sel("index", int(content))), close
    pos = _skip_space(path, pos)
    if not path.startswith("]", pos):
        raise ExpressionError(f"expected ']' at {pos} in path {path!r} (one key per bracket)")
    return step, pos + 1


def _skip_space(text: str, pos: int) -> int:
    """The first non-blank position at or after ``pos``."""
    return len(text) - len(text[pos:].lstrip())


def _unquote(match: re.Match[str]) -> str:
    """The text of a ``_QUOTED_RE`` match, a backslash escaping the next character."""
    body = match.group(1) if match.group(1) is not None else match.group(2)
    return re.sub(r"\\(.)", r"\1", body, flags=re.DOTALL)


def _parse_filter(text: str) -> _Expr:
    """Parse a filter body: ``||`` of ``&&`` of conditions (``[!]@path`` or ``a op b``)."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while text[pos:].strip():
        match = _FILTER_TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise ExpressionError(f"unsupported filter syntax at {pos} in {text!r}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    alternatives = [_split(alt, "&&") for alt in _split(tokens, "||")]
    return ("||", tuple(("&&", tuple(_condition(c, text) for c in alt)) for alt in alternatives))


def _split(tokens: list[tuple[str, str]], op: str) -> list[list[tuple[str, str]]]:
    """``tokens`` cut at each ``op`` token."""
    cuts = [i for i, token in enumerate(tokens) if token == ("op", op)]
    return [tokens[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(tokens)], strict=True)]


def _condition(tokens: list[tuple[str, str]], text: str) -> _Expr:
    """``@path`` (exists), ``!@path`` (does not exist) or ``operand op operand``."""
    kinds = [kind for kind, _ in tokens]
    if kinds in (["path"], ["op", "path"]) and tokens[0][1] in ("!", tokens[-1][1]):
        return ("exists", _operand_syntax(tokens[-1], text)[1], len(tokens) == 1)
    if len(tokens) == 3 and kinds[1] == "op" and tokens[1][1] in _COMPARISONS:
        left, (_, op), right = tokens
        return ("cmp", op, _operand_syntax(left, text), _operand_syntax(right, text))
    raise ExpressionError(f"unsupported condition in filter {text!r}")


def _operand_syntax(token: tuple[str, str], text: str) -> _Expr:
    """A string, number, ``true``/``false``/``null`` or ``@`` path token as an operand."""
    kind, value = token
    quoted = _QUOTED_RE.fullmatch(value)
    if quoted:
        return ("lit", _unquote(quoted))
    if kind == "num":
        return ("lit", float(value) if any(c in value for c in ".eE") else int(value))
    if kind == "word":
        return ("lit", {"true": True, "false": False, "null": None}[value])
    if kind == "path":
        return ("path", _parse_path("$" + value[1:]))
    raise ExpressionError(f"unexpected {value!r} in filter {text!r}")


def lookup(path: str, doc: Mapping[str, Any]) -> Any:
    """Evaluate one JsonPath-lite path (the text inside ``${...}``) over ``doc``.

    Supported (a Jayway subset; a leading ``$``/``$.`` is optional): ``a.b``, ``a['b c']``,
    ``a["b"]``, ``a[0]``, ``a[-1]``, ``a[*]``, ``a.*``, ``a..id``,
    ``a[?(@.x > 1 && @.y == 'z')]``, ``a[?(@.flag)]`` (key exists) and a trailing ``length()``.
    Dot keys may hold any character but ``.``, ``[``, ``(`` and blanks; a number-like dot key
    reads that string key of a map and indexes a list. A definite path gives its value or
    None when anything is missing; wildcards, scans and filters give a list.
    The result is a deep copy. Raises :class:`ExpressionError` if ``path`` cannot be parsed.
    """
    return copy.deepcopy(_evaluate(path, doc))


def _evaluate(path: str, root: Any) -> Any:
    """:func:`lookup` without the copy, over any JSON value."""
    steps = _parse_path(path)
    return _finish(steps, _run(steps, root))


def _definite(steps: _Path) -> bool:
    """Whether the path names at most one value (Jayway's ``isDefinite``)."""
    return all(step.kind in ("key", "index", "func") for step in steps)


def _run(steps: _Path, root: Any) -> list[Any]:
    """Every node the steps reach from ``root`` (a trailing function is left to the caller)."""
    nodes = [root]
    for step in steps:
        if step.kind != "func":
            nodes = [found for node in nodes for found in _select(step, node)]
    return nodes


def _finish(steps: _Path, nodes: list[Any]) -> Any:
    """The path's value: one node (or None) if definite, else the list; then any function."""
    value = (nodes[0] if nodes else None) if _definite(steps) else nodes
    if steps and steps[-1].kind == "func":
        return len(value) if isinstance(value, Mapping | list | tuple) else None
    return value


def _select(step: _Sel, node: Any) -> list[Any]:
    """The nodes one step picks from ``node`` (empty when nothing matches)."""
    kind, arg = step
    is_list = isinstance(node, list | tuple)
    if kind == "key":
        if isinstance(node, Mapping):
            return [node[arg]] if arg in node else []
        return _pick(node, int(arg)) if is_list and _INT_RE.fullmatch(arg) else []
    if kind == "wild":
        return list(node.values()) if isinstance(node, Mapping) else list(node) if is_list else []
    if kind == "filter" and isinstance(node, Mapping):
        return [node] if _test(arg, node) else []
    if kind == "scan":
        if arg.kind == "filter":  # Jayway tests a filter against each map itself
            return [n for n in _descend(node) if isinstance(n, Mapping) and _test(arg.arg, n)]
        return [found for item in _descend(node) for found in _select(arg, item)]
    if not is_list:
        return []
    if kind == "index":
        return _pick(node, arg)
    return [item for item in node if _test(arg, item)]  # filter over a list


def _pick(items: Any, index: int) -> list[Any]:
    """``[items[index]]`` (negative counts from the end), or ``[]`` when out of range."""
    return [items[index]] if -len(items) <= index < len(items) else []


def _descend(node: Any) -> Iterator[Any]:
    """``node`` and all its descendants, depth first, in document order."""
    yield node
    children = node.values() if isinstance(node, Mapping) else node
    for child in children if isinstance(node, Mapping | list | tuple) else ():
        yield from _descend(child)


def _test(expr: _Expr, item: Any) -> bool:
    """Whether a filter holds for ``item`` (the ``@``)."""
    kind = expr[0]
    if kind in ("&&", "||"):
        results = (_test(part, item) for part in expr[1])
        return all(results) if kind == "&&" else any(results)
    if kind == "exists":
        return bool(_run(expr[1], item)) is expr[2]
    return _compare(expr[1], _operand(expr[2], item), _operand(expr[3], item))


def _operand(operand: _Expr, item: Any) -> Any:
    """A literal's value, or the value at an ``@`` path (``_MISSING`` if it is absent)."""
    if operand[0] == "lit":
        return operand[1]
    nodes = _run(operand[1], item)
    if _definite(operand[1]) and not nodes:
        return _MISSING
    return _finish(operand[1], nodes)


def _is_number(value: Any) -> bool:
    """JSON number (bool excluded)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(op: str, left: Any, right: Any) -> bool:
    """Jayway's relational operators: numbers with numbers, strings with strings; a number
    and a string compare as text for ordering and as numbers for equality; a missing value
    equals nothing."""
    if left is _MISSING or right is _MISSING:
        return op == "!="
    if op in ("==", "!="):
        return _equal(left, right) == (op == "==")
    if not all(_is_number(value) or isinstance(value, str) for value in (left, right)):
        return False
    if _is_number(left) != _is_number(right):  # a number against a string: as text
        left, right = java_string(left), java_string(right)
    return bool(
        {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    )


def _equal(left: Any, right: Any) -> bool:
    """Filter ``==``: strict by type, except that a number equals a string that parses to it."""
    if _is_number(left) and isinstance(right, str):
        return bool(_DECIMAL_RE.fullmatch(right)) and Decimal(right) == Decimal(str(left))
    if isinstance(left, str) and _is_number(right):
        return left == java_string(right)
    if type(left) is not type(right) and not (_is_number(left) and _is_number(right)):
        return False
    return bool(left == right)
