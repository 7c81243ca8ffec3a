"""A memory bomb and a fork storm are contained by the job's cgroup, 100 MB of output is cut
while it is printed, a notebook that runs too long in all is stopped; the others are graded.

The toy lab caps a submission at 768 MB, 64 processes and 30 s of wall-clock time (its
syllabus ``limits``). Where this
machine cannot create cgroups the fixtures are not even run: uncapped, they would take the
machine down. CI runs as root, where cgroups exist, so there they always run.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from autograder import cgroups
from autograder.grade import grade_cohort
from autograder.settings import Settings
from tests.support import solved, write_submission

LAB, NB = "lab01-toy", "toy.ipynb"
GREET = "def greet(name):\n    return f'Hello, {name}!'\n"
BOMB = "blocks = []\nwhile True:\n    blocks.append(b'x' * 2**26)\n" + GREET
STORM = """import os, time
children = 0
for _ in range(5000):
    try:
        if os.fork() == 0:
            time.sleep(120)
            os._exit(0)
        children += 1
    except OSError:
        break
""" + GREET
FLOOD = "for _ in range(100):\n    print('x' * 1_000_000)\n" + GREET  # 100 MB, then right
# the cell is within the 60 s cell timeout; the notebook is not within its 30 s (room for a
# slow CI machine to start the kernel of an honest notebook)
SLOW = "import time\ntime.sleep(50)\n" + GREET

pytestmark = pytest.mark.skipif(cgroups.probe() is None and not os.environ.get("CI"),
                                reason="this user cannot create cgroups: the fixtures would "
                                       "run uncapped")


@pytest.fixture(scope="module", params=["bwrap", "none"])
def graded(request, toy_root, tmp_path_factory):
    if cgroups.probe() is None:  # in CI: fail, but never run a memory bomb uncapped
        pytest.fail("CI must be able to create cgroups (it runs as root on Linux)")
    tmp = tmp_path_factory.mktemp(f"limits-{request.param}")
    for student, answer in {"bomb": BOMB, "storm": STORM, "flood": FLOOD, "slow": SLOW}.items():
        write_submission(tmp / "subs", student, NB,
                         solved(toy_root, LAB, NB, {"ex03-answer": answer}))
    write_submission(tmp / "subs", "honest", NB, solved(toy_root, LAB, NB))
    results = grade_cohort(lab=LAB, submissions=tmp / "subs", out=tmp / "out", workers=2,
                           settings=Settings(root=toy_root), progress=False,
                           sandbox=request.param)
    return {r.student_id: r for r in results}, tmp / "out"


def test_a_memory_bomb_is_stopped_with_a_clear_message(graded):
    bomb = graded[0]["bomb"]
    assert (bomb.status, bomb.score) == ("error", 5), bomb.message
    assert "more than 768 MB of memory" in bomb.message


def test_a_fork_storm_hits_the_process_cap_and_is_cleaned_up(graded):
    storm = graded[0]["storm"]
    assert (storm.status, storm.score) == ("graded", 6), storm.message
    # A group that cannot be removed at once (processes still leaving it) is removed by a
    # background retry (cgroups.remove): wait for that, bounded, on a loaded machine.
    deadline = time.monotonic() + 60
    while True:
        leftovers = [p for p in Path("/sys/fs/cgroup").glob(f"*/**/{cgroups.PREFIX}mle-storm-*")]
        if not leftovers or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not leftovers, f"job cgroups left behind: {leftovers[:3]}"


def test_100_mb_of_output_is_cut_and_graded_fairly(graded):
    results, out = graded
    flood = results["flood"]
    assert (flood.status, flood.score) == ("graded", 6), flood.message
    assert "output of 1 cell(s) was cut" in flood.message
    kept = out / "autograded" / "flood" / LAB / NB
    assert kept.stat().st_size < 2_000_000, kept.stat().st_size
    assert "characters in all" in kept.read_text()


def test_a_notebook_past_its_wall_clock_limit_is_stopped(graded):
    slow = graded[0]["slow"]
    assert (slow.status, slow.score) == ("timeout", 5), slow.message
    assert "longer than 30 s in all" in slow.message


def test_the_honest_neighbour_is_graded_in_full(graded):
    honest = graded[0]["honest"]
    assert (honest.status, honest.score) == ("graded", 6)
