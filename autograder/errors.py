"""The toolkit's errors: one base class, and every message says what to do next."""

from __future__ import annotations


class MleError(Exception):
    """Base class: the CLI prints the message (no traceback) and exits with ``exit_code``."""

    exit_code = 1


class UsageError(MleError):
    """The command was called wrongly (unknown lab, missing directory, bad option)."""

    exit_code = 2


class SetupError(MleError):
    """The course itself is not in a usable state (e.g. a lab that was never released)."""

    exit_code = 3


class NotebookError(MleError):
    """A notebook cannot be read or is not a notebook of this lab."""
