"""ML Engineer Labs: the course toolkit behind the ``mle`` command."""

__version__ = "0.1.0"
