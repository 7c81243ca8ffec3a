"""Pre-imported kernels, the grader's side: one zygote per grading worker.

A grading worker runs one job after another. Instead of starting a fresh Python for each, which
then imports ipykernel and the lab's libraries again (seconds per submission for pandas,
scikit-learn, MLflow or torch), the worker keeps a *zygote* (:mod:`autograder.forkserver`)
that imported them once, and asks it for a forked kernel per job.

Every protection a fresh kernel has, a forked one keeps; where each layer sits:

* **Sandbox** — bubblewrap starts by ``exec``, so it wraps the zygote, once per worker: the
  same read-only system, no network, unprivileged uid, capped ``/tmp`` and ``/dev/shm``. Only
  the worker's ``jobs/`` folder is writable inside, and it holds only the job being graded.
* **Per job, entered after the fork and before any learner code** — its own cgroup (the
  worker moves the forked starter in, found through its ``NSpid``, before letting it go on), a
  user and PID namespace of its own (learner code cannot address the zygote or anything outside),
  its own folder, HOME, IPYTHONDIR, environment and fresh random generators; ``/tmp`` and
  ``/dev/shm`` wiped; no capabilities.
* **The zygote** never runs learner code, is not dumpable (nothing can attach to it), and is
  started again whenever it has gone or a job needs a different one (another lab's libraries,
  data or limits).

Where ``fork`` is not available (macOS, Windows) or ``MLE_ZYGOTE=0`` is set, every job gets a
plain fresh kernel, with the same results. The no-leak test grades a polluter and then a victim
in one worker, with and without the sandbox, to prove nothing crosses from one job to the next.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .cgroups import JobCgroup
from .sandbox import (
    RUNTIME_MOUNT,
    Limits,
    base_environment,
    copy_runtime,
    find_bwrap,
    sandbox_command,
)

SWITCH = "MLE_ZYGOTE"  # "0": always a fresh kernel
DATA_MOUNT = "/opt/mle-data"  # the lab's data, read-only, in the worker's sandbox
ROOT_PREFIX = "mle-worker-"  # + the worker's pid: a folder whose worker is gone is removed
log = logging.getLogger(__name__)


class ZygoteError(RuntimeError):
    """The zygote did not answer as it should; the worker starts a fresh one."""


@dataclass(frozen=True)
class ZygoteKey:
    """What makes two jobs able to share a zygote."""

    sandbox: str
    preload: tuple[str, ...]
    limits: Limits
    data: str  # the lab's data folder ("" for none), mounted read-only in the sandbox


def available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and \
        os.environ.get(SWITCH, "1") != "0"


def kernels_line(preload: tuple[str, ...] | list[str]) -> str:
    """How kernels start in this run, in words an instructor can check."""
    if not available():
        why = "MLE_ZYGOTE=0" if os.environ.get(SWITCH, "1") == "0" else "no fork() here"
        return f"a fresh kernel per submission ({why})"
    imported = ", ".join(preload) if preload else "only ipykernel"
    return (f"kernels forked from one pre-imported zygote per worker ({imported}); each gets "
            "its own cgroup, user and PID namespace before it runs (MLE_ZYGOTE=0: fresh "
            "kernels)")


class ForkedKernel:
    """A forked kernel, as much of ``subprocess.Popen`` as jupyter_client's provisioner uses.

    It is the zygote's grandchild, not ours: we cannot ``wait`` for it, so liveness comes from
    ``/proc`` (the zygote reaps its children at once, so an ended kernel is never a zombie for
    long, and a zombie counts as ended)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None and not _alive(self.pid):
            self.returncode = -signal.SIGKILL  # how it ended is not ours to know
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """A running zygote for ``key``, with its folder: ``jobs/`` (each job's folder goes there)
    and ``runtime/`` (the course code kernels may import)."""

    def __init__(self, key: ZygoteKey, *, start_timeout: float = 120.0) -> None:
        self.key = key
        _sweep_stale_roots()
        self.root = Path(tempfile.mkdtemp(prefix=f"{ROOT_PREFIX}{os.getpid()}-"))
        self.jobs = self.root / "jobs"
        self.jobs.mkdir()
        runtime = self.root / "runtime"
        copy_runtime(runtime / "autograder")
        sandboxed = key.sandbox == "bwrap"
        argv = [sys.executable, "-m", "autograder.forkserver", ",".join(key.preload)]
        env = base_environment(key.limits, runtime=str(runtime))
        env["HOME"] = "/nonexistent"  # the zygote has no home: nothing it imports keeps files
        if sandboxed:
            binary = find_bwrap()
            if binary is None:
                raise ZygoteError("the bwrap sandbox was chosen but bwrap no longer works")
            env["PYTHONPATH"] = RUNTIME_MOUNT
            argv = sandbox_command(
                [*argv, "--sandboxed"], env=env, limits=key.limits, binary=binary,
                runtime=runtime, writable=[self.jobs],
                read_only={Path(DATA_MOUNT): Path(key.data)} if key.data else {},
                chdir=self.jobs)
            env = {"PATH": os.environ.get("PATH", "")}
        self.start_timeout, self.host_pid, self.failed_imports = start_timeout, 0, []
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, env=env, cwd=self.jobs)
        except Exception:
            self.close()
            raise

    def ready(self) -> Zygote:
        """Wait until the zygote has imported everything (it was started without waiting, so
        the imports overlap whatever the grader does meanwhile)."""
        if not self.host_pid:
            try:
                ready = self._read(self.start_timeout)
                if ready.get("threads", 1) > 1:
                    _unsafe.add(self.key)
                    raise ZygoteError(
                        f"importing {', '.join(self.key.preload) or 'the kernel'} started "
                        f"{ready['threads'] - 1} thread(s), and forking a process with threads "
                        "can leave its children deadlocked")
                self.host_pid = self._find_zygote(ready["ready"])
            except Exception:
                self.close()
                raise
            self.failed_imports = ready.get("failed", [])
        return self

    @property
    def sandboxed(self) -> bool:
        return self.key.sandbox == "bwrap"

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, cmd: list[str], env: dict[str, str], cwd: str,
              group: JobCgroup | None) -> ForkedKernel:
        """A kernel forked for one job, in ``group`` before any of its code runs."""
        self.ready()
        reply = self._ask({"spawn": {"cmd": cmd, "env": env, "cwd": cwd,
                                     "isolate": self.sandboxed}})
        starter = reply["starter"]
        if group is not None:
            try:
                group.add(self._host_pid(starter))
            except OSError as error:
                self._ask({"go": starter})  # let it go, then stop it: it must not run uncapped
                raise ZygoteError(f"the kernel could not be put in its cgroup: {error}") from None
        kernel = self._ask({"go": starter})["kernel"]
        return ForkedKernel(self._host_pid(kernel))

    def clear_jobs(self) -> None:
        """Remove everything in ``jobs/``, the one folder the sandbox lets a kernel write:
        what one job leaves there (anywhere there) is gone before the next one starts."""
        for entry in self.jobs.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def close(self) -> None:
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def _ask(self, message: dict, timeout: float = 30.0) -> dict:
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except OSError as error:
            raise ZygoteError(f"the zygote is gone ({error})") from None
        reply = self._read(timeout)
        if "error" in reply:
            raise ZygoteError(reply["error"])
        return reply

    def _read(self, timeout: float) -> dict:
        stream = self.process.stdout
        ready, _, _ = select.select([stream], [], [], timeout)
        line = stream.readline() if ready else b""
        if not line:
            raise ZygoteError("the zygote did not answer" if not ready else
                              "the zygote ended")
        return json.loads(line)

    def _find_zygote(self, inner: int) -> int:
        """The zygote's pid on this machine: the process we started, or (in the sandbox,
        which has a PID namespace of its own) the descendant whose innermost pid is ``inner``."""
        return _find(self.process.pid, lambda ids: ids[-1] == inner, include_self=True)

    def _host_pid(self, inner: int) -> int:
        """The pid on this machine of the zygote's descendant that the zygote calls ``inner``."""
        depth = len(_nspids(self.host_pid))
        return _find(self.host_pid, lambda ids: len(ids) >= depth and ids[depth - 1] == inner)


def _find(ancestor: int, match, *, include_self: bool = False) -> int:
    import psutil

    candidates = [ancestor] if include_self else []
    try:
        candidates += [c.pid for c in psutil.Process(ancestor).children(recursive=True)]
    except psutil.Error:
        pass
    for pid in candidates:
        ids = _nspids(pid)
        if ids and match(ids):
            return pid
    raise ZygoteError("a process of the zygote was not found")


def _sweep_stale_roots() -> None:
    """Remove the folders of zygotes whose worker was killed (it never cleaned up)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{ROOT_PREFIX}*-*"):
        pid = folder.name[len(ROOT_PREFIX):].split("-")[0]
        try:
            if folder.is_symlink() or folder.stat().st_uid != os.getuid() or not pid.isdigit():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _nspids(pid: int) -> list[int]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return [int(x) for x in line.split()[1:]]
    except OSError:
        pass
    return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


_current: Zygote | None = None
_unsafe: set[ZygoteKey] = set()  # preload lists whose imports start threads: fresh kernels


def for_job(key: ZygoteKey) -> Zygote | None:
    """This worker's zygote for ``key``: the running one, or a new one; ``None`` where a zygote
    cannot run here (the job then gets a fresh kernel)."""
    zygote = prestart(key)
    if zygote is None:
        return None
    try:
        return zygote.ready()
    except (OSError, ZygoteError, ValueError, KeyError) as error:
        _give_up(error)
        return None


def prestart(key: ZygoteKey) -> Zygote | None:
    """Start this worker's zygote for ``key`` without waiting for its imports (a learner's
    ``mle check`` starts it first, so the imports run while the grader prepares the job)."""
    global _current
    if not available() or key in _unsafe:
        return None
    if _current is not None and (_current.key != key or not _current.alive()):
        _current.close()
        _current = None
    if _current is None:
        try:
            _current = Zygote(key)
        except (OSError, ZygoteError) as error:
            _give_up(error)
            return None
        atexit.register(_current.close)
    return _current


def _give_up(error: Exception) -> None:
    log.warning("no pre-imported kernels in this worker (%s): fresh kernels instead", error)
    discard()


def current() -> Zygote:
    if _current is None:
        raise ZygoteError("this worker has no zygote")
    return _current


def discard() -> None:
    """Stop this worker's zygote (a job found it unfit); the next job starts a new one."""
    global _current
    if _current is not None:
        _current.close()
        _current = None
