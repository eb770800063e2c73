"""Python source for JSON values: literals, references and f-strings, and identifier names."""

from __future__ import annotations

import builtins
import json
import keyword
import re
from collections.abc import Mapping
from typing import Any

from flowdsl.system import WORKFLOW_PROPERTIES

__all__ = ["Scope", "identifier", "py_string", "render_value"]

WIDTH = 100
_EXPR = re.compile(r"\$\{([^{}]*)\}")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")
_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))


def identifier(text: str, default: str = "value") -> str:
    """``text`` as a snake_case Python identifier (``getUser-Ref`` -> ``get_user_ref``)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    if not text:
        text = default
    if text[0].isdigit():
        text = f"{default}_{text}"
    if text in _RESERVED:
        text = f"{text}_"
    return text


def is_kwarg(name: str) -> bool:
    """True when ``name`` can be written as ``name=value`` in a call."""
    return name.isidentifier() and not keyword.iskeyword(name)


def py_string(text: str) -> str:
    """A Python string literal for ``text``: double quotes, or single ones when that needs
    fewer escapes (as ruff format chooses)."""
    literal = json.dumps(text, ensure_ascii=False)
    if text.count('"') <= text.count("'"):
        return literal
    body = re.sub(r"\\(.)", lambda m: '"' if m.group(1) == '"' else m.group(0), literal[1:-1])
    return "'" + body.replace("'", "\\'") + "'"


class Scope:
    """What a block of generated code can name: handle variables by taskReferenceName,
    workflow parameters, and the Python names of the flowdsl helpers."""

    def __init__(
        self,
        handles: Mapping[str, str],
        params: frozenset[str],
        helpers: Mapping[str, str],
        used: set[str],
        read: set[str] | None = None,
        literal: bool = False,
    ) -> None:
        self.handles = dict(handles)
        self.params = params
        self.helpers = helpers
        self.used = used  # flowdsl helpers the code uses (for the imports)
        self.read: set[str] = set() if read is None else read  # handle variables read
        self.literal = literal  # True: every string stays a literal

    def child(self) -> Scope:
        """A scope for a nested function: sees everything this one sees so far."""
        return Scope(self.handles, self.params, self.helpers, self.used, self.read, self.literal)

    def helper(self, name: str) -> str:
        self.used.add(name)
        return self.helpers.get(name, name)

    # -- references ----------------------------------------------------------------
    def reference(self, path: str, in_fstring: bool) -> str | None:
        """Python for ``${path}``, or None when it is kept as text."""
        head, dot, rest = path.partition(".")
        if not dot:
            return None
        if head == "workflow":
            return self._workflow_ref(rest, in_fstring)
        var = self.handles.get(head)
        if var is None:
            return None
        self.read.add(var)
        part, dot, tail = rest.partition(".")
        if part not in ("output", "input"):
            return None
        base = f"{var}.{part}"
        if not dot:
            return base
        return self._chain(base, "." + tail, in_fstring)

    def _workflow_ref(self, rest: str, in_fstring: bool) -> str | None:
        kind, dot, tail = rest.partition(".")
        quote = "'" if in_fstring else '"'
        if kind == "input" and dot:
            name, _, more = tail.partition(".")
            bracket = name.find("[")
            if bracket > 0:
                name, more = name[:bracket], name[bracket:] + ("." + more if more else "")
            elif more:
                more = "." + more
            if not _PLAIN_KEY.match(name):
                return None
            if name in self.params and name.isidentifier():
                base = name
            else:
                base = f"{self.helper('workflow_input')}({quote}{name}{quote})"
            return self._chain(base, more, in_fstring) if more else base
        if kind in ("variables", "secrets") and dot:
            name, _, more = tail.partition(".")
            if not _PLAIN_KEY.match(name):
                return None
            fn = self.helper("variable" if kind == "variables" else "secret")
            base = f"{fn}({quote}{name}{quote})"
            if kind == "secrets" and more:
                return None
            return self._chain(base, "." + more, in_fstring) if more else base
        if kind in WORKFLOW_PROPERTIES and not dot and kind not in ("input", "variables"):
            return f"{self.helper('workflow_property')}({quote}{kind}{quote})"
        return None

    @staticmethod
    def _chain(base: str, tail: str, in_fstring: bool) -> str | None:
        """``base`` indexed by the JSONPath ``tail`` (``.a.b[0]``); None when not plain."""
        out = [base]
        pos = 0
        quote = "'" if in_fstring else '"'
        while pos < len(tail):
            match = _SEGMENT.match(tail, pos)
            if match is None:
                return None
            if match.group(1) is not None:
                out.append(f"[{quote}{match.group(1)}{quote}]")
            else:
                out.append(f"[{int(match.group(2))}]")
            pos = match.end()
        return "".join(out)

    def string(self, text: str) -> str:
        """A string value: a reference, an f-string with references, or a literal."""
        if "${" not in text or self.literal:
            return py_string(text)
        before = set(self.read)
        out = self._string(text)
        if out is None:
            self.read.intersection_update(before)
            return py_string(text)
        return out

    def _string(self, text: str) -> str | None:
        whole = _EXPR.fullmatch(text)
        if whole:
            return self.reference(whole.group(1), False)
        parts: list[str] = []
        pos = 0
        for match in _EXPR.finditer(text):
            literal = text[pos : match.start()]
            if "$" in literal or "\\" in literal:
                return None
            ref = self.reference(match.group(1), True)
            if ref is None:
                return None
            parts.append(_fstring_literal(literal))
            parts.append("{" + ref + "}")
            pos = match.end()
        literal = text[pos:]
        if "$" in literal or "\\" in literal:
            return None
        parts.append(_fstring_literal(literal))
        return 'f"' + "".join(parts) + '"'


def _fstring_literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("{", "{{").replace("}", "}}")


def render_value(value: Any, scope: Scope, indent: int, used: int = 0) -> str:
    """Python source for a JSON value at ``indent`` spaces (wrapped when it is long);
    ``used`` counts the characters before it on its first line."""
    flat = _flat(value, scope)
    if len(flat) + indent + used + 1 <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [
            f"{pad}{py_string(str(k))}: {render_value(v, scope, indent + 4, len(py_string(str(k))) + 2)},"
            for k, v in value.items()
        ]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{render_value(v, scope, indent + 4)}," for v in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"


def _flat(value: Any, scope: Scope) -> str:
    if value is None:
        return "None"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if isinstance(value, str):
        return scope.string(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v, scope) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{py_string(str(k))}: {_flat(v, scope)}" for k, v in value.items())
        return "{" + inner + "}"
    return repr(value)
