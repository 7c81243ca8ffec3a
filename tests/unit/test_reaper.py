"""The reaper finds and stops processes however they detached (no kernel needed)."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from autograder.reaper import become_subreaper, descendants, reaping

# The child starts a grandchild in a new session, prints its pid and exits at once: the
# grandchild is orphaned, and only a subreaper can still find it.
DOUBLE_FORK = ("import subprocess as s, sys; p = s.Popen([sys.executable, '-c', "
               "'import time; time.sleep(600)'], start_new_session=True, "
               "stdout=s.DEVNULL, stderr=s.DEVNULL); print(p.pid)")


def test_orphans_of_a_detached_double_fork_are_adopted_and_killed():
    assert become_subreaper(), "Linux can adopt orphans: the reaper depends on it"
    with reaping() as stopped:
        grandchild = int(subprocess.run([sys.executable, "-c", DOUBLE_FORK], check=True,
                                        capture_output=True, text=True).stdout)
        deadline = time.monotonic() + 5
        while grandchild not in descendants() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert grandchild in descendants(), "the orphan was handed to us, not to PID 1"
    assert grandchild in stopped
    assert not psutil.pid_exists(grandchild), "killed and reaped: not even a zombie is left"


def test_processes_that_existed_before_are_left_alone():
    keeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        with reaping() as stopped:
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        assert keeper.poll() is None and keeper.pid not in stopped and len(stopped) == 1
    finally:
        keeper.kill()
        keeper.wait()
