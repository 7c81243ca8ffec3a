"""The grade-cell assertions must not be fooled by look-alike values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autograder.checks import assert_close, assert_raises, assert_same, check_type, run_pytest


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class EqualInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


@pytest.mark.parametrize("fake", [AlwaysEqual(), EqualInt(0)])
def test_always_equal_objects_do_not_pass(fake):
    for expected in (3, "x", {"a": 1}, [1, 2], 2.5):
        with pytest.raises(AssertionError, match="should be a"):
            assert_same(fake, expected)


@pytest.mark.parametrize("actual,expected", [
    (True, 1), (1, 1.0), ([1, 2], (1, 2)), ({1, 2}, [1, 2]), (np.float64(1.0), 1.0),
])
def test_types_must_match_exactly(actual, expected):
    with pytest.raises(AssertionError):
        assert_same(actual, expected)


def test_nested_values_name_the_wrong_part():
    with pytest.raises(AssertionError, match=r"result\['b'\]\[1\]"):
        assert_same({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 3]})
    with pytest.raises(AssertionError, match="missing keys"):
        assert_same({"a": 1}, {"a": 1, "b": 2})


def test_floats_use_a_tolerance_and_hidden_checks_do_not_reveal():
    assert_same(0.1 + 0.2, 0.3)
    with pytest.raises(AssertionError) as error:
        assert_same(0.5, 0.3, "score", reveal=False)
    assert "0.3" not in str(error.value)
    with pytest.raises(AssertionError, match="should be 0.3"):
        assert_same(0.5, 0.3, "score")


def test_dataframes_compare_columns_dtypes_and_values():
    expected = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    assert_same(expected.copy(), expected)
    with pytest.raises(AssertionError, match="columns"):
        assert_same(expected[["b", "a"]], expected)
    with pytest.raises(AssertionError):
        assert_same(expected.astype({"a": "float64"}), expected)
    with pytest.raises(AssertionError):
        assert_same(expected.assign(b=[0.5, 9.0]), expected)
    with pytest.raises(AssertionError, match="should be a DataFrame"):
        assert_same(expected.to_dict(), expected)


def test_arrays_compare_shape_kind_and_values():
    assert_same(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]))
    with pytest.raises(AssertionError, match="shape"):
        assert_same(np.array([1.0]), np.array([1.0, 2.0]))
    with pytest.raises(AssertionError, match="dtype"):
        assert_same(np.array([1, 2]), np.array([1.0, 2.0]))


def test_assert_close_accepts_any_real_number_but_not_bool():
    assert_close(np.float32(0.5), 0.5, rel=1e-6)
    with pytest.raises(AssertionError):
        assert_close(True, 1.0)
    with pytest.raises(AssertionError):
        assert_close("0.5", 0.5)


def test_assert_raises():
    def boom(x):
        raise ValueError(f"bad value {x}")

    assert isinstance(assert_raises(ValueError, boom, 3, match="bad value"), ValueError)
    with pytest.raises(AssertionError, match="returned normally"):
        assert_raises(ValueError, lambda: None)
    with pytest.raises(AssertionError, match="raised TypeError"):
        assert_raises(ValueError, lambda: (_ for _ in ()).throw(TypeError("no")))
    with pytest.raises(AssertionError, match="mention"):
        assert_raises(ValueError, boom, 1, match="airport")


def test_check_type():
    check_type(3, int, "x")
    with pytest.raises(AssertionError, match="x should be a int or str"):
        check_type(3.0, (int, str), "x")


def test_any_real_accepts_a_number_of_the_right_value_where_a_float_is_expected():
    import statistics

    expected = {"UA": 4.0, "AA": -4.5}
    answer = {"UA": round(statistics.mean([3, 5]), 2), "AA": round(np.mean([-4, -5]), 2)}
    assert type(answer["UA"]) is int and type(answer["AA"]) is np.float64
    with pytest.raises(AssertionError, match="should be a float"):
        assert_same(answer, expected)  # the strict default
    assert_same(answer, expected, any_real=True)
    with pytest.raises(AssertionError, match="should be a number"):
        assert_same({"UA": True, "AA": -4.5}, {"UA": 1.0, "AA": -4.5}, any_real=True)
    with pytest.raises(AssertionError, match="not the right value"):
        assert_same({"UA": 5, "AA": -4.5}, expected, any_real=True, reveal=False)
    with pytest.raises(AssertionError, match="should be a dict"):
        assert_same([4.0], expected, any_real=True)  # only numbers are loosened


class Box:
    """Something a notebook defines and pickles: only this process knows the class."""

    def __init__(self, value):
        self.value = value


def test_run_pytest_reports_each_test_and_what_it_raised(tmp_path, monkeypatch):
    import joblib

    (tmp_path / "conftest.py").write_text(
        "import joblib, pytest\n"
        "def pytest_addoption(parser):\n    parser.addoption('--box', required=True)\n"
        "@pytest.fixture\ndef box(request):\n    return joblib.load(request.config.getoption('--box'))\n")
    tests = tmp_path / "test_box.py"
    tests.write_text(
        "import pytest\n"
        "@pytest.mark.parametrize('bad', [1, 2])\n"
        "def test_not(box, bad):\n    assert box.value != bad, f'value is {bad}'\n"
        "def test_broken(box):\n    box.missing\n")
    monkeypatch.chdir(tmp_path.parent)
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "test_env.py").write_text(
        "import os\ndef test_no_plugins():\n"
        "    assert os.environ['PYTEST_DISABLE_PLUGIN_AUTOLOAD'] == '1'\n")
    assert run_pytest(tmp_path / "env" / "test_env.py")[0].outcome == "passed"
    assert "PYTEST_DISABLE_PLUGIN_AUTOLOAD" not in __import__("os").environ, "env restored"
    joblib.dump(Box(2), tmp_path / "box.joblib")
    outcomes = {o.nodeid: o for o in run_pytest(tests, "--box", str(tmp_path / "box.joblib"))}
    assert outcomes["test_box.py::test_not[1]"].outcome == "passed"
    assert (outcomes["test_box.py::test_not[2]"].error, outcomes["test_box.py::test_not[2]"].message) \
        == ("AssertionError", "value is 2")
    assert outcomes["test_box.py::test_broken"].error == "AttributeError"
    assert __import__("os").getcwd() == str(tmp_path.parent), "the working folder is restored"

    # an edited file is read again: pytest's imported modules are forgotten after each run
    tests.write_text("def test_only(box):\n    assert box.value == 2\n")
    again = run_pytest(tests, "--box", str(tmp_path / "box.joblib"))
    assert [(o.nodeid, o.outcome) for o in again] == [("test_box.py::test_only", "passed")]


def test_run_pytest_fails_clearly_when_the_file_cannot_run(tmp_path):
    assert_raises(AssertionError, run_pytest, tmp_path / "test_missing.py", match="does not exist")
    broken = tmp_path / "test_broken.py"
    broken.write_text("import no_such_module_here\n")
    assert_raises(AssertionError, run_pytest, broken, match="no_such_module_here")
    empty = tmp_path / "test_empty.py"
    empty.write_text("x = 1\n")
    assert_raises(AssertionError, run_pytest, empty, match="could not run")
