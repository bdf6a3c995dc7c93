"""Base classes for the options a watcher or notifier declares, so config errors name the key."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from .secrets import Secret


class Options(BaseModel):
    """Declared keys only: an unknown key is an error that names it."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def _to_secret(value: Any) -> Secret:
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string (usually \"${SOME_VARIABLE}\")")
    return Secret(value)


SecretStr = Annotated[Secret, BeforeValidator(_to_secret)]
"""A string option holding a token or webhook URL; never shown."""
