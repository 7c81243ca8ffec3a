"""The kernel launch plug-in: a Jupyter kernel provisioner that starts each grading kernel in
its job's folder, with the allow-listed environment, inside the sandbox the grader chose.

Kernel provisioners are jupyter_client's public extension point for *how* a kernel process is
started (registered under ``jupyter_client.kernel_provisioners`` in ``pyproject.toml``), so
papermill and nbclient run unchanged: the grading kernel manager only names this provisioner in
the kernel spec it hands out, with the job's settings as the provisioner's config.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Int, List, Unicode

from .cgroups import JobCgroup
from .sandbox import JobFolder, Limits, bwrap_command, find_bwrap, kernel_environment

NAME = "mle-sandbox"


class SandboxProvisioner(LocalProvisioner):
    """A local kernel, started in its job folder with its own environment, maybe in bwrap."""

    job_root = Unicode(help="the job's private folder (see sandbox.JobFolder)").tag(config=True)
    sandbox = Unicode("none", help="'bwrap' or 'none'").tag(config=True)
    tmp_mb = Int(512).tag(config=True)
    threads = Int(1).tag(config=True)
    cgroups = List(Unicode(), help="the job's cgroup folders, joined before launch").tag(
        config=True)
    data = Unicode("", help="the lab's data, mounted read-only as work/data").tag(config=True)
    forked = Bool(False, help="fork the kernel from this worker's zygote (see zygote.py), "
                              "which already runs in the sandbox").tag(config=True)

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        kwargs = await super().pre_launch(**kwargs)
        job, limits = JobFolder(Path(self.job_root)), Limits(self.tmp_mb, self.threads)
        env = kernel_environment(job, sandboxed=self.sandbox == "bwrap", limits=limits)
        if self.forked:  # the zygote's sandbox holds it; the cgroup is joined at launch
            kwargs["env"], kwargs["cwd"] = env, str(job.work)
            return kwargs
        if self.sandbox == "bwrap":
            binary = find_bwrap()
            if binary is None:
                raise RuntimeError("the bwrap sandbox was chosen but bwrap no longer works")
            kwargs["cmd"] = bwrap_command(kwargs["cmd"], job, env, limits, binary,
                                          Path(self.data) if self.data else None)
            env = {"PATH": os.environ.get("PATH", "")}  # bwrap's own; the kernel's is set inside
        if self.cgroups:  # outermost, so the sandbox and all it starts are capped and counted
            kwargs["cmd"] = JobCgroup(tuple(map(Path, self.cgroups)), 0).join_command(
                kwargs["cmd"])
        kwargs["env"], kwargs["cwd"] = env, str(job.work)
        # the kernel's own stdout/stderr (not the notebook's outputs, which travel over ZeroMQ)
        # would reach the grader's terminal: a learner's subprocess could flood it
        kwargs["stdout"] = kwargs["stderr"] = subprocess.DEVNULL
        return kwargs

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        if not self.forked:
            return await super().launch_kernel(cmd, **kwargs)
        from . import zygote

        group = JobCgroup(tuple(map(Path, self.cgroups)), 0) if self.cgroups else None
        self.process = zygote.current().spawn(cmd, kwargs["env"], kwargs["cwd"], group)
        self.pid, self.pgid, self.cwd = self.process.pid, None, kwargs["cwd"]
        return self.connection_info


def kernel_manager_class(job: JobFolder, *, sandbox: str, limits: Limits,
                         group: JobCgroup | None = None, data: Path | None = None,
                         forked: bool = False) -> type:
    """A kernel manager for one job: Unix sockets in the job's ``run/`` folder (no open ports),
    and a kernel spec that names :class:`SandboxProvisioner` with this job's settings."""
    config = {"job_root": str(job.root), "sandbox": sandbox, "tmp_mb": limits.tmp_mb,
              "threads": limits.threads,
              "cgroups": [str(f) for f in group.folders] if group else [],
              "data": str(data) if data else "", "forked": forked}

    class GradingKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport, self.ip = "ipc", str(job.run / "ipc")
            self.connection_file = str(job.run / "kernel.json")

        @property
        def kernel_spec(self):  # type: ignore[override]
            spec = AsyncKernelManager.kernel_spec.fget(self)
            if spec is not None:
                spec.metadata["kernel_provisioner"] = {"provisioner_name": NAME,
                                                       "config": config}
            return spec

    return GradingKernelManager
