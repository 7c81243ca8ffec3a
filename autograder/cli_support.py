"""What every `mle` command shares: errors become a message and an exit code, not a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer

from .errors import MleError


def friendly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an ``MleError`` into its message (on stderr) and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except MleError as error:
            typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
            raise typer.Exit(error.exit_code) from None

    return wrapper
