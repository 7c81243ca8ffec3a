"""Allow `python -m <package> ...`."""

from .cli import app

app()
