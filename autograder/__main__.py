"""``python -m autograder ...`` is the ``mle`` command (what ``%mle`` runs in a notebook)."""

from .cli import app

app(prog_name="mle")
