"""Nothing a submission starts outlives its grading: servers, ports, processes.

Three notebooks that serving labs make easy to write (one never stops its servers, one crashes
between start and stop, one detaches a server into a new session and then kills its kernel) are
graded side by side with real kernels on the toy lab, so this costs seconds. Afterwards no
process they started is alive, no port they opened is listening, and no two of them shared a
port or a working folder.
"""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import psutil
import pytest

from autograder.grade import grade_cohort
from autograder.self_check import check_lab
from autograder.settings import Settings
from tests.support import solved, write_submission

LAB, NB = "lab01-toy", "toy.ipynb"

# Each server is a real listening socket held by a child process (a stand-in for a uvicorn
# worker started with `fd=`), plus one threaded HTTP server inside the kernel itself.
SERVERS = '''
import http.server, json, os, pathlib, socket, subprocess, sys, threading
REPORT = pathlib.Path({report!r})
HOLD = "import socket, sys, time; s = socket.socket(fileno=int(sys.argv[1])); time.sleep(600)"

def start_server(tag, **popen):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(sock.fileno()), {marker!r}],
                             pass_fds=[sock.fileno()], **popen)
    port = sock.getsockname()[1]
    sock.close()
    report(tag, port, child.pid)
    return child

def report(tag, port, pid):
    if REPORT.is_dir():  # inside the sandbox the test's folder does not exist
        (REPORT / (tag + ".json")).write_text(json.dumps(
            {{"port": port, "pid": pid, "cwd": os.getcwd()}}))

def start_thread_server(tag):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    report(tag, server.server_address[1], None)
'''
GREET = "def greet(name):\n    return f'Hello, {name}!'\n"
CASES = {
    # student: (code appended to the ex03 answer, expected score, expected status)
    "never-stops": ("start_server('never-stops')\nstart_thread_server('never-stops-thread')\n",
                    6, "graded"),
    "crashes-mid-way": ("server = start_server('crashes-mid-way')\n"
                        "raise RuntimeError('the model failed to load')\nserver.kill()\n",
                        6, "graded"),
    "detaches-then-exits": ("start_server('detaches-then-exits', start_new_session=True)\n"
                            "os._exit(1)\n", 5, "error"),
}


def _reported(report: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in report.glob("*.json")}


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _survivors(marker: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if marker in (process.info["cmdline"] or []) and \
                process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def _submit(toy_root: Path, folder: Path, report: Path, marker: str, student: str) -> None:
    code, _, _ = CASES[student]
    answer = SERVERS.format(report=str(report), marker=marker) + GREET + code
    write_submission(folder, student, NB, solved(toy_root, LAB, NB, {"ex03-answer": answer}))


@pytest.fixture
def marker() -> str:
    return f"mle-leftover-{uuid.uuid4().hex}"


def _grade(toy_root: Path, tmp_path: Path, marker: str, sandbox: str) -> dict:
    report = tmp_path / "report"
    report.mkdir()
    for student in CASES:
        _submit(toy_root, tmp_path / "subs", report, marker, student)
    results = {r.student_id: r for r in grade_cohort(
        lab=LAB, submissions=tmp_path / "subs", out=tmp_path / "out", workers=2,
        settings=Settings(root=toy_root), progress=False, sandbox=sandbox)}
    for student, (_, score, status) in CASES.items():
        assert (results[student].score, results[student].status) == (score, status), \
            results[student].message
    return results


def test_sandboxed_cohort_leaves_no_process_behind(toy_root, tmp_path, marker):
    """In the sandbox every process a kernel starts lives in the kernel's PID namespace and
    dies with it; the host still sees them, so survivors would show up here."""
    _grade(toy_root, tmp_path, marker, "bwrap")
    assert not _survivors(marker), "a server process outlived grading"


def test_cohort_leaves_no_process_or_port_behind(toy_root, tmp_path, marker):
    """Unsandboxed (--sandbox none), the reaper alone must clean up."""
    report = tmp_path / "report"
    results = _grade(toy_root, tmp_path, marker, "none")
    # the kernel's own process group dies with the kernel; a detached server needs the reaper
    assert "left running" in results["detaches-then-exits"].message
    servers = _reported(report)
    assert set(servers) == {*CASES, "never-stops-thread"}, "every server really started"
    assert not _survivors(marker), "a server process outlived grading"
    for tag, server in servers.items():
        assert not _listening(server["port"]), f"{tag}'s port {server['port']} still listens"
        if server["pid"] is not None:
            assert not psutil.pid_exists(server["pid"]) or \
                psutil.Process(server["pid"]).status() == psutil.STATUS_ZOMBIE
    # graded side by side, yet nothing shared: each job had its own port and folder
    assert len({s["port"] for s in servers.values()}) == len(servers)
    jobs = {tag.removesuffix("-thread"): s["cwd"] for tag, s in servers.items()}
    assert len(set(jobs.values())) == len(CASES)
    assert not any(Path(cwd).exists() for cwd in jobs.values()), "scratch folders are removed"


def test_a_learners_own_check_cleans_up_too(toy_env, tmp_path, marker):
    """`mle check` runs in the learner's own process, unsandboxed: the reaper still applies."""
    report = tmp_path / "report"
    report.mkdir()
    _submit(toy_env, tmp_path / "subs", report, marker, "detaches-then-exits")
    result = check_lab(lab="1", notebook=tmp_path / "subs" / "detaches-then-exits" / NB)
    assert result.status == "error" and result.score == 5
    [server] = _reported(report).values()
    assert not _survivors(marker) and not _listening(server["port"])
