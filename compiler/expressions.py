"""Conductor ``${...}`` expressions: finding them in input values and checking their paths.

The only module that reads expression syntax. Rules follow Conductor's
ParametersUtils: a placeholder is ``${path}`` inside any string, nested
placeholders resolve first, ``$${`` escapes a literal ``${``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = [
    "SPECIAL_NAMES",
    "Expression",
    "embedded_task_refs",
    "expressions_in",
    "first_component",
    "key_path",
    "path_error",
    "scan",
]

# First path components that are not task references.
SPECIAL_NAMES = frozenset({"workflow", "CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"})

Expression = str  # the text inside ${...}
_SIMPLE_PATH = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")


def scan(text: str) -> Iterator[str]:
    """Every ``${...}`` expression in ``text`` (inner ones of nested placeholders first)."""
    i = 0
    n = len(text)
    while True:
        start = text.find("${", i)
        if start < 0:
            return
        if start > 0 and text[start - 1] == "$":  # $${ ... } is an escaped literal
            i = start + 2
            continue
        close = text.find("}", start + 2)
        if close > 0 and text.find("{", start + 2, close) < 0:  # the common, unnested case
            yield text[start + 2 : close]
            i = close + 1
            continue
        depth = 0
        j = start + 1
        while j < n:  # braces nest: ${a.${b}} and ${{macro}} both close at their own brace
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= n:  # unterminated: Conductor leaves it as text
            return
        inner = text[start + 2 : j]
        if "${" in inner:
            yield from scan(inner)
        yield inner
        i = j + 1


def expressions_in(value: Any) -> Iterator[tuple[str, str]]:
    """Yield ``(expression, key path)`` for every ``${...}`` in a JSON value (nested too)."""
    if type(value) is dict and all(type(v) is str for v in value.values()):  # the common flat case
        for key, text in value.items():
            if "${" in text:
                where = f".{key}" if _plain(key) else f"['{key}']"
                for expr in scan(text):
                    yield expr, where
        return
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "${" in item:
                for expr in scan(item):
                    yield expr, where
        elif isinstance(item, dict):
            for key, sub in reversed(list(item.items())):
                stack.append((sub, f"{where}.{key}" if _plain(key) else f"{where}['{key}']"))
        elif isinstance(item, list):
            for index in range(len(item) - 1, -1, -1):
                stack.append((item[index], f"{where}[{index}]"))


def embedded_task_refs(value: Any) -> Iterator[tuple[str, str]]:
    """``(taskReferenceName, key path)`` of every task definition embedded in a JSON value.

    Workflows pass WorkflowTask templates as data (to FORK_JOIN_DYNAMIC, to SET_VARIABLE);
    the tasks they describe exist only at run time.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            ref = item.get("taskReferenceName")
            if isinstance(ref, str) and ref:
                yield ref, where
            for key, sub in item.items():
                stack.append((sub, f"{where}.{key}" if _plain(key) else f"{where}['{key}']"))
        elif isinstance(item, list):
            for index, sub in enumerate(item):
                stack.append((sub, f"{where}[{index}]"))


def key_path(base: str, key: object) -> str:
    """The JSON path of ``key`` below ``base``: ``base.key``, or ``base['key']`` when needed.

    The one spelling shared by the emitter's source map, the validator and the graph.
    """
    if isinstance(key, str) and key.isidentifier():
        return f"{base}.{key}"
    return f"{base}['{key}']"


def _plain(key: object) -> bool:
    return isinstance(key, str) and key.isidentifier()


def first_component(expression: str) -> str:
    """The first path component: ``workflow`` for ``workflow.input.x``, ``t1`` for ``t1['output']``."""
    expr = expression.strip()
    if expr.startswith("$."):
        expr = expr[2:]
    head = expr.partition(".")[0]
    return head.partition("[")[0] if "[" in head else head


def path_error(expression: str) -> str | None:
    """Why ``expression`` is not a usable JsonPath, or None when it is."""
    if "${" in expression:  # nested placeholders are resolved first; check the outer shape only
        return None
    if (
        _SIMPLE_PATH.issuperset(expression)
        and not expression.endswith(".")
        and expression[:1].isalpha()
    ):
        return None
    expr = expression.strip()
    if not expr:
        return None  # ${} is allowed and gives ""
    depth = 0
    quote: str | None = None
    escaped = False
    for char in expr:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                return "has a ']' without a matching '['"
    if quote:
        return "has an unterminated quote"
    if depth:
        return "has a '[' without a matching ']'"
    if expr.endswith("."):
        return "ends with '.'"
    head = first_component(expr)
    if head == "":
        return "starts with no name"
    if not all(c.isalnum() or c in "_-$@" for c in head):
        return f"does not start with a task reference or 'workflow' ('{head}' is not a name; a template macro?)"
    return None
