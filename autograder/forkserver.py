"""The zygote: a process that imports a lab's heavy libraries once, then forks a clean kernel
for each submission. It runs inside the worker's sandbox and uses the standard library only.

Importing pandas, scikit-learn, MLflow or torch costs a kernel seconds before a learner's first
cell runs; a grading run paid that once per submission. The zygote pays it once per worker. It
never runs learner code and never computes: it imports, then waits for requests on stdin.

For each request (one JSON line: the kernel command, its environment and folder) it forks a
*starter*, and answers with the starter's pid. The starter waits until the grader has moved it
into the job's cgroup (the grader writes ``go``), then

* in the sandbox, enters a user and PID namespace of its own, so nothing the learner runs can
  address the zygote or an earlier job (no signal, ``prlimit``, ``renice`` or ``ptrace`` can name
  a process outside), and
* forks the *kernel*: pid 1 of that namespace, so every process the learner starts dies with it.

The kernel drops every capability, takes the job's environment, folder and fresh random state,
closes what it inherited, and becomes an ordinary ipykernel (or ``exec``s any other kernel
command). The zygote wipes ``/tmp`` and ``/dev/shm`` before each fork: in the sandbox they are
the worker's, shared by the jobs it runs one after another.

Protocol (lines of JSON on stdin/stdout):
    zygote -> {"ready": PID, "failed": [modules that did not import]}
    grader -> {"spawn": {"cmd": [...], "env": {...}, "cwd": "...", "isolate": bool}}
    zygote -> {"starter": PID}              (or {"error": "..."})
    grader -> {"go": PID}
    zygote -> {"kernel": PID}               (or {"error": "..."}); PIDs as the zygote sees them
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import stat
import sys
import threading

PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
CLONE_NEWUSER, CLONE_NEWPID = 0x10000000, 0x20000000
SHARED_TMP = ("/tmp", "/dev/shm")
FORK_SAFE_THREADS = {"jemalloc_bg_thd"}
_libc = ctypes.CDLL(None, use_errno=True)


def main(argv: list[str]) -> int:
    preload = [m for m in (argv[1].split(",") if len(argv) > 1 else []) if m]
    sandboxed = "--sandboxed" in argv
    # nothing may attach to the zygote or read its memory (learners share its uid)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    if not sandboxed:  # bwrap's --die-with-parent does this in the sandbox
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    failed = []
    for name in ["ipykernel.kernelapp", "IPython", *preload]:
        try:
            __import__(name)
        except Exception:  # a lab's optional library missing here: its kernels import it
            failed.append(name)
    signal.signal(signal.SIGCHLD, _reap)
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    # a thread started by an import (a thread pool, a monitor) is not copied by fork, and a
    # lock it held stays locked in every child: with more than one thread, forking is unsafe
    _send(replies, {"ready": os.getpid(), "failed": failed, "threads": _threads()})
    starters: dict[int, tuple[int, int]] = {}  # starter pid: (go pipe, report pipe)
    for line in requests:
        try:
            request = json.loads(line)
        except ValueError:
            return 2
        if "spawn" in request:
            if sandboxed:
                for folder in SHARED_TMP:
                    _wipe(folder)
            _send(replies, _fork_starter(request["spawn"], starters))
        elif "go" in request:
            _send(replies, _release(request["go"], starters))
    return 0


def _threads() -> int:
    """How many threads run here, counting neither this one nor jemalloc's background thread
    (pyarrow's allocator, started by importing pandas: jemalloc makes itself fork-safe)."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 1
    count = 1
    for task in tasks:
        if int(task) == threading.get_native_id():
            continue
        try:
            with open(f"/proc/self/task/{task}/comm") as file:
                name = file.read().strip()
        except OSError:
            continue  # it has ended
        count += name not in FORK_SAFE_THREADS
    return count


def _send(stream, message: dict) -> None:
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def _reap(*_) -> None:
    """Collect every child that has ended, so none lingers as a zombie (which would still look
    alive to the grader)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _fork_starter(spec: dict, starters: dict[int, tuple[int, int]]) -> dict:
    go_read, go_write = os.pipe()
    report_read, report_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(go_write)
            os.close(report_read)
            _starter(spec, go_read, report_write)
        finally:
            os._exit(70)
    os.close(go_read)
    os.close(report_write)
    starters[pid] = (go_write, report_read)
    return {"starter": pid}


def _release(pid: int, starters: dict[int, tuple[int, int]]) -> dict:
    """Let the starter go on (it is in its cgroup now), and report the kernel's pid."""
    go_write, report_read = starters.pop(pid, (None, None))
    if go_write is None:
        return {"error": f"no starter {pid}"}
    try:
        os.write(go_write, b"go")
        os.close(go_write)
        ready, _, _ = select.select([report_read], [], [], 30)
        data = os.read(report_read, 64) if ready else b""
    finally:
        os.close(report_read)
    try:
        return {"kernel": int(data)}
    except ValueError:
        return {"error": "the kernel could not be started"}


def _starter(spec: dict, go_read: int, report_write: int) -> None:
    """In the fork: wait for the cgroup, isolate, fork the kernel, report it, wait for it."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _to_devnull()
    _close_inherited(keep={go_read, report_write})
    if os.read(go_read, 2) != b"go":
        os._exit(71)
    os.close(go_read)
    if spec.get("isolate"):
        uid, gid = os.getuid(), os.getgid()
        if _libc.unshare(CLONE_NEWUSER | CLONE_NEWPID) != 0:
            os._exit(72)
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as file:
                file.write(text)
    kernel = os.fork()
    if kernel == 0:
        os.close(report_write)
        _become_kernel(spec)
        os._exit(73)
    os.write(report_write, str(kernel).encode())
    os.close(report_write)
    _, status = os.waitpid(kernel, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _become_kernel(spec: dict) -> None:
    os.setsid()
    _drop_capabilities()
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # its own tools may read /proc/self again
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(spec["env"])
    os.chdir(spec["cwd"])
    os.umask(0o022)
    _fresh_random_state()
    cmd = list(spec["cmd"])
    if "ipykernel_launcher" not in cmd[:3]:  # another kernel: start it as it is
        os.execvpe(cmd[0], cmd, spec["env"])
    import tempfile

    tempfile.tempdir = None  # found again from TMPDIR
    sys.path[0] = spec["cwd"]  # as `python -m ipykernel_launcher` run in that folder has it
    sys.argv = ["ipykernel_launcher", *cmd[cmd.index("ipykernel_launcher") + 1:]]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
    os._exit(0)


def _fresh_random_state() -> None:
    """Forked kernels would otherwise all continue the zygote's generators (``random``
    reseeds itself after a fork; numpy and torch do not)."""
    numpy_random = sys.modules.get("numpy.random")  # numpy imports it lazily
    if numpy_random is not None:
        numpy_random.seed()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.seed()


def _drop_capabilities() -> None:
    """The kernel created no namespace of its own use: it keeps no capability in it."""
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    if os.getuid() == 0:
        return  # --sandbox none as root: the grader's own rights, as without a zygote
    _libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)())


def _to_devnull() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _close_inherited(keep: set[int]) -> None:
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 256))
    for fd in fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _wipe(folder: str) -> None:
    """Empty a shared temporary folder, whatever modes a learner left on what is in it, but
    never cross into another file system: the worker's jobs folder is mounted under /tmp."""
    try:
        device = os.lstat(folder).st_dev
        entries = os.listdir(folder)
    except OSError:
        return
    for name in entries:
        _remove(os.path.join(folder, name), device)


def _remove(path: str, device: int) -> None:
    try:
        info = os.lstat(path)
    except OSError:
        return
    if info.st_dev != device:
        return  # a mount point
    if stat.S_ISDIR(info.st_mode):
        try:
            os.chmod(path, 0o700)
            for name in os.listdir(path):
                _remove(os.path.join(path, name), device)
            os.rmdir(path)
        except OSError:
            pass
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main(sys.argv))
