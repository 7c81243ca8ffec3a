"""``%mle``: the ``mle`` command from a notebook cell, without leaving JupyterLab.

    %load_ext autograder
    %mle check 1

It runs ``mle`` in a child process with this kernel's Python and streams what it prints, so
``%mle check 1`` shows the same per-exercise table as a terminal. ``mle check`` reads the
notebook *file*: save first (Ctrl-S), or it checks what was saved last.
"""

from __future__ import annotations

import shlex
import subprocess
import sys


def mle(line: str) -> int:
    """Run ``mle <line>`` and print its output as it comes; returns its exit status."""
    args = shlex.split(line)
    if not args:
        args = ["--help"]
    if args[0] == "check":
        print("Checking the notebook as saved on disk (save first: Ctrl-S).", flush=True)
    with subprocess.Popen([sys.executable, "-m", "autograder", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                          bufsize=1) as child:
        assert child.stdout is not None
        for output in child.stdout:
            print(output, end="", flush=True)
        return child.wait()


def load(ipython) -> None:
    ipython.register_magic_function(_run, magic_kind="line", magic_name="mle")


def _run(line: str) -> None:
    status = mle(line)
    if status:
        print(f"(mle exited with status {status})")
