"""Nothing leaks from one learner's grading to the next in the same worker.

A "polluter" changes everything it can reach: a module's function, a builtin, the environment,
both random generators' state, files in its folder, HOME and /tmp, and a listening socket; in
the sandbox it also lowers a resource limit, renices and stops every process it can see (a
worker's zygote, were it reachable, would hand that on to every later kernel). A
"victim" graded right after it, by the same single worker, looks for each of those; its
``add`` is right only when it finds none, so the victim's score says whether anything leaked.
Run with and without the sandbox; the worker forks both kernels from its zygote (zygote.py),
which imported numpy and statistics before either ran.
"""

from __future__ import annotations

import pytest

from autograder.grade import grade_cohort
from autograder.sandbox import find_bwrap
from autograder.settings import Settings
from tests.support import solved, write_submission

LAB, NB = "lab01-toy", "toy.ipynb"
POLLUTER = """
import builtins, os, pathlib, random, socket, statistics, tempfile
import numpy as np
FOLDERS = [pathlib.Path(f) for f in FOLDER_LIST]
statistics.mean = lambda *a, **k: "polluted"  # (json would break its own kernel's messages)
builtins.MLE_POLLUTION = True
os.environ["MLE_POLLUTION"] = "1"
random.seed(1234)
np.random.seed(1234)
for folder in FOLDERS:
    try:
        (folder / "mle-pollution").write_text("left behind")
    except OSError:
        pass
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
for folder in FOLDERS:
    try:
        (folder / "mle-pollution-port").write_text(str(listener.getsockname()[1]))
    except OSError:
        pass
if HOSTILE:  # reach for every process it can see: a zygote it could name would pass it on
    import resource, signal
    for _pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
        if _pid == os.getpid():
            continue
        for _act in (lambda: resource.prlimit(_pid, resource.RLIMIT_NOFILE, (64, 64)),
                     lambda: os.setpriority(os.PRIO_PROCESS, _pid, 19),
                     lambda: os.kill(_pid, signal.SIGSTOP)):
            try:
                _act()
            except (OSError, ValueError):
                pass
def add(a, b):
    return a + b
"""
VICTIM = """
import builtins, os, pathlib, random, socket, statistics, tempfile
import numpy as np
FOLDERS = [pathlib.Path(f) for f in FOLDER_LIST]
leaks = []
if statistics.mean([1, 2]) == "polluted":
    leaks.append("a module's function")
if hasattr(builtins, "MLE_POLLUTION"):
    leaks.append("a builtin")
if "MLE_POLLUTION" in os.environ:
    leaks.append("the environment")
start, start_np = random.random(), np.random.random()  # where this kernel's generators are
random.seed(1234)
np.random.seed(1234)
if start == random.random():  # ... is where the polluter left them
    leaks.append("random's state")
if start_np == np.random.random():
    leaks.append("numpy's random state")
random.seed()
np.random.seed()
for folder in FOLDERS:
    if (folder / "mle-pollution").exists():
        leaks.append(f"a file in {folder}")
    port = folder / "mle-pollution-port"
    if port.exists():
        try:
            socket.create_connection(("127.0.0.1", int(port.read_text())), timeout=1).close()
            leaks.append("a listening socket")
        except OSError:
            leaks.append(f"a file in {folder}")
import resource
if resource.getrlimit(resource.RLIMIT_NOFILE)[0] == 64:
    leaks.append("a resource limit")
if os.getpriority(os.PRIO_PROCESS, 0) == 19:
    leaks.append("a process priority")
print("leaks:", leaks)
def add(a, b):
    return a + b if not leaks else a - b
"""


@pytest.mark.parametrize("sandbox", [
    "none",
    pytest.param("bwrap", marks=pytest.mark.skipif(
        find_bwrap() is None and not __import__("os").environ.get("CI"),
        reason="bubblewrap cannot run here")),
])
def test_the_next_learner_sees_nothing_of_the_last(toy_root, tmp_path, sandbox):
    # its working folder, HOME and temporary folder; in the sandbox also the machine's /tmp and
    # /dev/shm (without one they are the host's, shared by design: --sandbox none is for
    # cohorts you trust)
    # and, in the sandbox, the folder that holds the job's folder (what a worker keeps between
    # jobs)
    folders = "[os.getcwd(), os.path.expanduser('~'), tempfile.gettempdir()" + \
        (", '/tmp', '/dev/shm', os.path.dirname(os.path.dirname(os.getcwd()))]"
         if sandbox == "bwrap" else "]")
    subs = tmp_path / "subs"
    for student, code in (("a-polluter", POLLUTER), ("b-victim", VICTIM)):
        answer = code.replace("FOLDER_LIST", folders).replace("HOSTILE", str(sandbox == "bwrap"))
        write_submission(subs, student, NB, solved(toy_root, LAB, NB, {"ex01-answer": answer}))
    results = grade_cohort(lab=LAB, submissions=subs, out=tmp_path / "out", workers=1,
                           settings=Settings(root=toy_root), progress=False, sandbox=sandbox)
    by_id = {r.student_id: r for r in results}
    assert by_id["a-polluter"].score == 6, by_id["a-polluter"].message
    victim = by_id["b-victim"]
    assert victim.score == 6, victim.message
