"""The README's reference of watch and notifier kinds, generated from the modules' own
declarations (docstring, Options, EVENTS), so README and code cannot disagree."""

from __future__ import annotations

import re
from types import ModuleType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .secrets import Secret


def _type(annotation: Any) -> str:
    """A type as a config author reads it (no '|': it would break the table)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type(args[0])
    if origin in (Union, UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None))
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0])}" if args else "list"
    if origin is dict:
        return "table"
    if annotation is re.Pattern or origin is re.Pattern:
        return "regex"
    if annotation is Secret:
        return "secret"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
    return "—" if value is None else f"`{value!r}`".replace("'", '"')


def options_table(module: ModuleType) -> list[str]:
    rows = ["| option | type | default |", "|---|---|---|"]
    for name, field in module.Options.model_fields.items():
        rows.append(f"| `{name}` | {_type(field.annotation)} | {_default(field)} |")
    return rows if len(rows) > 2 else ["No options."]


def section(module: ModuleType) -> str:
    doc = " ".join((module.__doc__ or "").split())
    lines = [f"#### `{module.KIND}`", "", doc, "", *options_table(module)]
    events = getattr(module, "EVENTS", None)
    if events:
        lines += ["", "Events: " + ", ".join(f"`{k}`" for k in events) + "."]
    return "\n".join(lines)


def markdown() -> str:
    from watchers import MODULES

    from .notifiers import NOTIFIERS
    parts = ["### Watch kinds", ""] + [section(m) + "\n" for m in MODULES]
    parts += ["### Notifier kinds", ""] + [section(m) + "\n" for m in NOTIFIERS.values()]
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
