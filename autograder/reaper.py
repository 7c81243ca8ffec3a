"""Nothing a submission starts outlives its grading.

A learner's notebook may start a server in a subprocess and never stop it, crash between start
and stop, or start one in a new session (``start_new_session=True``) and then ``os._exit``. The
kernel is gone after grading, but those processes are not: they keep ports, files and memory,
and in a cohort they pile up. ``reaping()`` wraps one grading job:

* it makes this process a *child subreaper* (Linux ``PR_SET_CHILD_SUBREAPER``), so a process
  whose parent dies is handed to us instead of to PID 1, however it detached (a new session or
  process group, a double fork): it stays our descendant and can be found;
* when the job ends it kills (SIGKILL, after a short SIGTERM grace) every descendant that did
  not exist before the job, and waits for them, so no zombie is left either.

``mle check`` runs a learner's own notebook unsandboxed in the learner's ``mle`` process, so the
same wrapper protects it. On systems without ``prctl`` the descendants still reachable through
their parents are killed, and escapees are not (a notice explains this once).
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import psutil

PR_SET_CHILD_SUBREAPER = 36
log = logging.getLogger(__name__)
_subreaper: bool | None = None


def become_subreaper() -> bool:
    """Ask Linux to hand us orphaned descendants; ``False`` where that is not possible."""
    global _subreaper
    if _subreaper is None:
        _subreaper = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                _subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except (OSError, AttributeError):
                _subreaper = False
        if not _subreaper:
            log.warning("this system cannot adopt orphaned processes (no PR_SET_CHILD_SUBREAPER):"
                        " a process a submission detaches may outlive grading")
    return _subreaper


def descendants() -> set[int]:
    """The PIDs of every living process below this one."""
    try:
        return {p.pid for p in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return set()


def kill_new_descendants(before: set[int]) -> list[int]:
    """SIGKILL every descendant not in ``before`` and reap it; return the PIDs stopped.

    No polite SIGTERM first: a learner's leftover owes the grader nothing, and a grace period
    per process would slow every job that leaves one.
    """
    stopped: list[int] = []
    # a kernel that was just stopped may still be exiting (freeing gigabytes takes a moment)
    psutil.wait_procs(_living([p for p in psutil.Process().children(recursive=True)
                               if p.pid not in before]), timeout=3)
    for _ in range(5):  # a dying process may still spawn: look again until none are left
        victims = _living([p for p in psutil.Process().children(recursive=True)
                           if p.pid not in before])
        if not victims:
            break
        for process in victims:
            try:
                process.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(victims, timeout=2)
        stopped.extend(p.pid for p in victims if p.pid not in stopped)
    _living([p for p in psutil.Process().children() if p.pid not in before])  # reap zombies
    return stopped


@contextmanager
def reaping() -> Iterator[list[int]]:
    """Run a block; afterwards, every process it left behind is killed and reaped.

    Yields a list that holds, once the block is over, the PIDs that were stopped.
    """
    become_subreaper()
    before = descendants()
    stopped: list[int] = []
    try:
        yield stopped
    finally:
        stopped.extend(kill_new_descendants(before))


def _living(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
            else:
                process.wait(timeout=0)
        except (psutil.Error, psutil.TimeoutExpired, ChildProcessError):
            continue
    return alive
