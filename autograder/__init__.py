"""ML Engineer Labs: the course toolkit behind the ``mle`` command."""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """``%load_ext autograder`` gives a notebook the ``%mle`` magic (see autograder/magic.py)."""
    try:
        from .magic import load
    except ImportError:  # a grading kernel has only the check helpers: no `mle` in there
        print("%mle is for your own JupyterLab; it is not available while a notebook is graded.")
        return
    load(ipython)
