"""A control group per grading job: a memory cap, a process cap, and one place to kill from.

A memory bomb or a fork storm in one notebook must not take the grading machine (and every
other student's grading) down with it. Address-space limits (``RLIMIT_AS``) cannot do this: a
kernel that imports torch reserves far more virtual memory than it uses. A cgroup caps what is
really used, and lists every process of the job however it detached.

Linux offers cgroup v1 (separate ``memory`` and ``pids`` hierarchies) or v2 (one hierarchy);
either works when this process may create child groups (root, or a delegated subtree).
Elsewhere :func:`create` returns ``None`` and grading goes on without these caps; the caller
says so once.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "mle-job-"


@dataclass(frozen=True)
class JobCgroup:
    """The job's group in each controller that caps it (one folder on v2)."""

    folders: tuple[Path, ...]
    version: int

    def join_command(self, argv: list[str]) -> list[str]:
        """``argv`` started inside this group: a shell moves itself in, then ``exec``s it."""
        moves = " && ".join(f"echo $$ > '{folder}/cgroup.procs'" for folder in self.folders)
        return ["/bin/sh", "-c", f'{moves} && exec "$@"', "mle-cgroup", *argv]

    def add(self, pid: int) -> None:
        """Move a running process (and what it starts from now on) into this group."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(pid))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for folder in self.folders:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                continue
        return found

    def settle(self, seconds: float = 3.0) -> None:
        """Give processes that are already dying (a kernel with gigabytes of memory to free
        takes a moment) the time to leave the group on their own."""
        deadline = time.monotonic() + seconds
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.02)

    def kill_all(self) -> int:
        """SIGKILL every process in the group until it is empty; return how many there were."""
        seen: set[int] = set()
        for _ in range(50):
            alive = self.pids()
            if not alive:
                break
            seen |= alive
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        return len(seen)

    def out_of_memory(self) -> bool:
        """Whether the kernel's OOM killer acted inside this group."""
        for folder in self.folders:
            for name in ("memory.oom_control", "memory.events"):
                try:
                    text = (folder / name).read_text()
                except OSError:
                    continue
                counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
                if int(counts.get("oom_kill", 0)) > 0:
                    return True
        return False

    def remove(self) -> None:
        """Remove the group; after an OOM kill that can take a while, so retry in the
        background rather than hold up grading."""
        if not self._try_remove():
            threading.Thread(target=self._remove_later, daemon=True).start()

    def _try_remove(self) -> bool:
        done = True
        for folder in self.folders:
            try:
                folder.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                done = False
        return done

    def _remove_later(self) -> None:
        for _ in range(60):
            time.sleep(0.5)
            self.kill_all()
            if self._try_remove():
                return


def create(name: str, *, memory_mb: int, max_pids: int) -> JobCgroup | None:
    """A new group for one job with its limits set, or ``None`` if this machine won't allow it."""
    for make in (_create_v2, _create_v1):
        try:
            group = make(PREFIX + name, memory_mb * 2**20, max_pids)
        except OSError:
            group = None
        if group is not None:
            return group
    return None


def probe() -> int | None:
    """The cgroup version jobs would get here (1 or 2), or ``None``: create one and remove it."""
    group = create(f"probe-{os.getpid()}", memory_mb=256, max_pids=16)
    if group is None:
        return None
    group.remove()
    return group.version


def _own_group(controller: str) -> str | None:
    """This process's path in ``controller``'s hierarchy ('' for v2's single one)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers.split(",") == [controller] or (controller == "" and controllers == ""):
            return path
    return None


def _create_v1(name: str, memory: int, max_pids: int) -> JobCgroup | None:
    folders = []
    for controller in ("memory", "pids"):
        base = _own_group(controller)
        mount = ROOT / controller
        if base is None or not (mount / "cgroup.procs").exists():
            return _undo(folders)
        folder = mount / base.lstrip("/") / name
        folder.mkdir()
        folders.append(folder)
    memory_folder, pids_folder = folders
    (memory_folder / "memory.limit_in_bytes").write_text(str(memory))
    swap = memory_folder / "memory.memsw.limit_in_bytes"
    if swap.exists():
        swap.write_text(str(memory))  # no escaping the cap into swap
    (pids_folder / "pids.max").write_text(str(max_pids))
    return JobCgroup(tuple(folders), 1)


def _create_v2(name: str, memory: int, max_pids: int) -> JobCgroup | None:
    base = _own_group("")
    if base is None or not (ROOT / "cgroup.controllers").exists():
        return None
    parent = ROOT / base.lstrip("/")
    enabled = (parent / "cgroup.subtree_control").read_text().split()
    if not {"memory", "pids"} <= set(enabled):
        return None
    folder = parent / name
    folder.mkdir()
    (folder / "memory.max").write_text(str(memory))
    (folder / "memory.swap.max").write_text("0")
    (folder / "pids.max").write_text(str(max_pids))
    return JobCgroup((folder,), 2)


def _undo(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass
    return None
