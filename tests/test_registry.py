"""Every watcher and notifier module honours its contract, and every kind is documented."""

from __future__ import annotations

import inspect
import pkgutil
from pathlib import Path

import watchers
from bot.events import EVENT_KINDS, markdown_table
from bot.notifiers import NOTIFIERS
from bot.options import Options
from watchers import WATCHERS


def test_every_watcher_module_is_registered() -> None:
    modules = {m.name for m in pkgutil.iter_modules(watchers.__path__)
               if not m.name.startswith("_")}
    assert modules == {m.__name__.rsplit(".", 1)[1] for m in WATCHERS.values()}


def test_watchers_have_the_contract() -> None:
    for kind, module in WATCHERS.items():
        assert module.KIND == kind
        assert issubclass(module.Options, Options)
        assert inspect.iscoroutinefunction(module.fetch)
        assert callable(module.describe) and not inspect.iscoroutinefunction(module.describe)
        assert module.__doc__, f"{kind} needs a module docstring: it is the watcher's help text"


def test_notifiers_have_the_contract() -> None:
    for kind, module in NOTIFIERS.items():
        assert module.KIND == kind and issubclass(module.Options, Options)
        assert inspect.iscoroutinefunction(module.send) and callable(module.build_payload)


def test_event_kinds_are_source_dot_what() -> None:
    for name in EVENT_KINDS:
        source, _, what = name.partition(".")
        assert source and what and name == name.lower()


def test_readme_event_table_matches_the_code() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "regenerate with: python -m bot.events"


def test_readme_reference_matches_the_code() -> None:
    from bot.reference import markdown
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- reference:start -->\n", 1)[1].split("<!-- reference:end -->", 1)[0]
    assert block == markdown(), "regenerate with: python -m bot.reference"


def test_every_watcher_names_its_events_and_every_content_kind_has_a_watcher() -> None:
    emitted = set()
    for kind, module in WATCHERS.items():
        assert module.EVENTS and set(module.EVENTS) <= set(EVENT_KINDS), kind
        emitted |= set(module.EVENTS)
    content = {k for k in EVENT_KINDS if not k.startswith("health.")}
    assert content == emitted
