"""Assertions for lab grade cells that cannot be fooled by look-alike values.

A plain ``assert answer == expected`` passes for an object whose ``__eq__`` always
returns True, for ``1.0 == True``, for a list where a tuple was asked for, and for a
DataFrame whose dtypes are wrong. These helpers check the exact type first (``type(x)
is T``, never ``isinstance``), then shapes and dtypes, then values, and say which part
is wrong in a message written for the learner. Hidden tests pass ``reveal=False`` so
the message names what is wrong without printing the expected value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCALARS = (bool, int, float, str, bytes, type(None))


def _fail(message: str) -> None:
    raise AssertionError(message)


def _type_name(value: Any) -> str:
    return type(value).__name__


def check_type(value: Any, expected_type: type | tuple[type, ...], what: str) -> None:
    """Fail unless ``type(value)`` is exactly ``expected_type`` (or one of them)."""
    allowed = expected_type if isinstance(expected_type, tuple) else (expected_type,)
    if type(value) not in allowed:
        names = " or ".join(t.__name__ for t in allowed)
        _fail(f"{what} should be a {names}, but it is a {_type_name(value)}")


def assert_same(actual: Any, expected: Any, what: str = "the result", *,
                reveal: bool = True, rel: float = 1e-6, abs_tol: float = 1e-9,
                any_real: bool = False) -> None:
    """Compare ``actual`` with ``expected`` recursively, exact types included.

    Floats are compared with a tolerance; dicts by keys then values; lists and tuples
    element by element; sets by content; pandas objects with ``pandas.testing``.
    With ``any_real``, where a float is expected any real number of that value passes (an
    ``int`` or a NumPy float, never a bool): ``round(statistics.mean(xs), 2)`` is an ``int``
    when the mean is whole, and ``round(np.mean(xs), 2)`` is an ``np.float64``; both are right
    when the task asks for a number rather than a particular type.
    """
    if _is_pandas(expected):
        _assert_pandas(actual, expected, what, reveal)
        return
    if _is_numpy(expected):
        _assert_array(actual, expected, what, reveal, rel, abs_tol)
        return
    if any_real and type(expected) is float:
        if not (isinstance(expected, float) and math.isnan(expected)):
            assert_close(actual, expected, what, reveal=reveal, rel=rel, abs_tol=abs_tol)
            return
    check_type(actual, type(expected), what)
    if isinstance(expected, float):
        if math.isnan(expected) and math.isnan(actual):
            return
        if not math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_tol):
            _fail(_mismatch(what, actual, expected, reveal))
    elif isinstance(expected, Mapping):
        _assert_mapping(actual, expected, what, reveal, rel, abs_tol, any_real)
    elif isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            _fail(f"{what} should have {len(expected)} items, but it has {len(actual)}")
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{what}[{index}]", reveal=reveal, rel=rel, abs_tol=abs_tol,
                        any_real=any_real)
    elif isinstance(expected, (set, frozenset)):
        if set(actual) != set(expected):
            extra = sorted(map(repr, set(actual) - set(expected)))[:5]
            missing = len(set(expected) - set(actual))
            detail = f"; unexpected: {', '.join(extra)}" if extra and reveal else ""
            _fail(f"{what} has the wrong members ({missing} missing{detail})")
    elif isinstance(expected, _SCALARS):
        if actual != expected:
            _fail(_mismatch(what, actual, expected, reveal))
    else:
        raise TypeError(f"assert_same cannot compare values of type {_type_name(expected)}")


def _assert_mapping(actual: Mapping, expected: Mapping, what: str, reveal: bool,
                    rel: float, abs_tol: float, any_real: bool = False) -> None:
    missing = [k for k in expected if k not in actual]
    extra = [k for k in actual if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing keys {sorted(map(repr, missing))}")
        if extra:
            parts.append(f"unexpected keys {sorted(map(repr, extra))}")
        _fail(f"{what} has {' and '.join(parts)}")
    for key, value in expected.items():
        assert_same(actual[key], value, f"{what}[{key!r}]", reveal=reveal, rel=rel,
                    abs_tol=abs_tol, any_real=any_real)


def _mismatch(what: str, actual: Any, expected: Any, reveal: bool) -> str:
    if reveal:
        return f"{what} is {actual!r}, but it should be {expected!r}"
    return f"{what} is {actual!r}, which is not the right value"


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.startswith("pandas")


def _is_numpy(value: Any) -> bool:
    return type(value).__module__ == "numpy"


def _assert_pandas(actual: Any, expected: Any, what: str, reveal: bool) -> None:
    import pandas as pd

    check_type(actual, type(expected), what)
    if isinstance(expected, pd.DataFrame):
        if list(actual.columns) != list(expected.columns):
            _fail(f"{what} has columns {list(actual.columns)}"
                  + (f", but it should have {list(expected.columns)}" if reveal else ""))
        if actual.shape != expected.shape:
            _fail(f"{what} has shape {actual.shape}"
                  + (f", but it should have {expected.shape}" if reveal else ""))
        assert_frame = pd.testing.assert_frame_equal
    else:
        if actual.shape != expected.shape:
            _fail(f"{what} has length {len(actual)}"
                  + (f", but it should have {len(expected)}" if reveal else ""))
        assert_frame = pd.testing.assert_series_equal
    try:
        assert_frame(actual, expected, check_dtype=True, check_exact=False, rtol=1e-6)
    except AssertionError as error:
        first_line = str(error).strip().splitlines()[0] if reveal else "values differ"
        _fail(f"{what} is not right: {first_line}")


def _assert_array(actual: Any, expected: Any, what: str, reveal: bool,
                  rel: float, abs_tol: float) -> None:
    import numpy as np

    check_type(actual, type(expected), what)
    if isinstance(expected, np.ndarray):
        if actual.shape != expected.shape:
            _fail(f"{what} has shape {actual.shape}, but it should have {expected.shape}")
        if actual.dtype.kind != expected.dtype.kind:
            _fail(f"{what} has dtype {actual.dtype}, but it should be like {expected.dtype}")
        ok = np.allclose(actual, expected, rtol=rel, atol=abs_tol, equal_nan=True) \
            if expected.dtype.kind in "fc" else np.array_equal(actual, expected)
        if not ok:
            _fail(f"{what} has the wrong values" + (f": {actual!r} vs {expected!r}"
                                                    if reveal and actual.size <= 10 else ""))
    elif not np.isclose(actual, expected, rtol=rel, atol=abs_tol, equal_nan=True):
        _fail(_mismatch(what, actual, expected, reveal))


def assert_close(actual: Any, expected: float, what: str = "the result", *,
                 reveal: bool = True, rel: float = 1e-6, abs_tol: float = 1e-9) -> None:
    """A number of any real type (Python or NumPy float/int, not bool) close to ``expected``."""
    import numbers

    if isinstance(actual, bool) or not isinstance(actual, numbers.Real):
        _fail(f"{what} should be a number, but it is a {_type_name(actual)}")
    value = float(actual)
    if not math.isclose(value, expected, rel_tol=rel, abs_tol=abs_tol):
        _fail(_mismatch(what, value, expected, reveal))


class GradingEnvironmentChanged(AssertionError):
    """The notebook replaced something the tests rely on; no test runs until it is put back."""


# Library functions that tests (these helpers, or a lab's hidden tests) rely on.
WATCHED = {"math": ("isclose",), "numpy": ("allclose", "isclose", "array_equal"),
           "numpy.testing": ("assert_allclose", "assert_array_equal", "assert_equal"),
           "pandas.testing": ("assert_frame_equal", "assert_series_equal"),
           "pytest": ("approx", "raises", "main"), "autograder.checks": ()}
PRISTINE = "_mle_pristine"  # made by the grader's startup file, before any learner code runs
# Builtins that tests compare with (the kernel itself swaps some others, such as input()).
WATCHED_BUILTINS = ("type", "isinstance", "issubclass", "len", "abs", "min", "max", "sum",
                    "sorted", "round", "float", "int", "bool", "str", "list", "tuple", "dict",
                    "set", "frozenset", "zip", "map", "range", "all", "any", "repr", "getattr",
                    "hasattr", "callable", "iter", "next", "enumerate", "AssertionError",
                    "Exception", "BaseException", "ValueError", "TypeError")


def verify_environment() -> None:
    """Fail if a watched library function or a builtin was replaced by the notebook.

    A replaced ``math.isclose`` or ``builtins.type`` would make every comparison pass. The
    grader runs this in front of every grade cell, so such a notebook earns nothing (and is
    flagged); it catches replacements made in ordinary notebook code, not a determined attack
    on the interpreter itself, which the sandbox and an instructor's review are for.
    """
    import sys

    changed = [f"{module}.{name}" for module, names in WATCHED.items() if module in sys.modules
               for name in names if not _original(getattr(sys.modules[module], name, None), name)]
    pristine = getattr(sys.modules.get(PRISTINE), "builtins", None)
    if pristine:
        import builtins

        changed += [f"builtins.{name}" for name in WATCHED_BUILTINS
                    if vars(builtins).get(name) is not pristine.get(name)]
    changed += _restore_ipython()
    if changed:
        raise GradingEnvironmentChanged(
            f"the notebook replaced {', '.join(changed[:4])}, which the tests rely on; tests "
            "do not run in a changed environment: remove that code and run the notebook again")


# IPython methods a notebook could replace on the shell to hide a failing test.
SHELL_METHODS = ("showtraceback", "_showtraceback", "showsyntaxerror", "run_cell",
                 "run_cell_async", "_run_cell", "run_ast_nodes", "run_code", "transform_cell",
                 "transform_ast", "should_run_async")
KERNEL_PACKAGES = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "traitlets",
                   "comm", "ipywidgets")


def _restore_ipython() -> list[str]:
    """Undo what a notebook may have done to the IPython shell; say what there was to undo.

    Hooks on IPython's events (``post_run_cell`` can rewrite a cell's result as a success),
    AST and input transformers (which can rewrite a test before it runs), a custom exception
    handler, and replaced shell methods are removed before the test runs.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    if shell is None:
        return []
    found = []
    if shell.custom_exceptions:
        shell.custom_exceptions = ()
        found.append("get_ipython().set_custom_exc")
    for name in SHELL_METHODS:
        value = vars(shell).get(name)
        own = getattr(type(shell), name, None)
        if value is not None and not (getattr(value, "__func__", None) is own and
                                      getattr(value, "__self__", None) is shell):
            delattr(shell, name)  # (ipykernel itself sets some to the class's own method)
            found.append(f"get_ipython().{name}")
        elif not _original(getattr(type(shell), name, None), name):
            found.append(f"the shell's {name} method")
    for event, callbacks in shell.events.callbacks.items():
        foreign = [f for f in callbacks if not _from_kernel(f)]
        for callback in foreign:
            callbacks.remove(callback)
        found += [f"an IPython {event} hook"] * bool(foreign)
    for name in ("ast_transformers", "input_transformers_post", "input_transformers_cleanup"):
        steps = getattr(shell, name, None)
        if isinstance(steps, list):
            foreign = [s for s in steps if not _from_kernel(s)]
            for step in foreign:
                steps.remove(step)
            found += [f"IPython {name}"] * bool(foreign)
    return found


def _from_kernel(thing: Any) -> bool:
    """Whether a hook or transformer belongs to IPython/ipykernel (or the course), not the
    notebook: judged by the module its function or class was defined in."""
    target = getattr(thing, "__func__", thing)
    module = getattr(target, "__module__", None) or type(target).__module__ or ""
    if module in ("__main__", "builtins") or module.startswith("<"):
        return False
    return module.split(".")[0] in KERNEL_PACKAGES and _original_source(target)


def _original_source(target: Any) -> bool:
    import os
    import sys

    method = next((vars(k)["__call__"] for k in type(target).__mro__ if "__call__" in vars(k)),
                  None)
    code = getattr(target, "__code__", None) or getattr(method, "__code__", None)
    if code is None:
        return True
    where = os.path.realpath(code.co_filename)
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    return any(where.startswith(root + os.sep) for root in roots)


def _original(function: Any, name: str) -> bool:
    """A library function as the library defines it (not a lambda or a stand-in)."""
    import os
    import sys

    if function is None or getattr(function, "__name__", None) != name:
        return False
    code = getattr(function, "__code__", None)
    if code is not None:
        where = os.path.realpath(code.co_filename)
        roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
        return any(where.startswith(root + os.sep) for root in roots)
    kind = type(function)
    return (kind.__module__, kind.__name__) in {("builtins", "builtin_function_or_method"),
                                                ("numpy", "_ArrayFunctionDispatcher")}


def assert_raises(exception: type[BaseException], func: Any, *args: Any,
                  what: str | None = None, match: str | None = None,
                  **kwargs: Any) -> BaseException:
    """Call ``func(*args, **kwargs)`` and fail unless it raises ``exception``.

    Returns the exception so a test can look at its message.
    """
    label = what or f"{getattr(func, '__name__', 'the function')}{args!r}"
    try:
        func(*args, **kwargs)
    except exception as error:
        if match is not None and match.lower() not in str(error).lower():
            _fail(f"{label} raised {exception.__name__}, but its message should mention "
                  f"{match!r}; it was: {error}")
        return error
    except Exception as error:  # noqa: BLE001 - we report what was raised instead
        _fail(f"{label} should raise {exception.__name__}, but it raised "
              f"{type(error).__name__}: {error}")
    _fail(f"{label} should raise {exception.__name__}, but it returned normally")
    raise AssertionError  # unreachable; keeps type checkers happy


@dataclass(frozen=True)
class PytestOutcome:
    """One test of a learner's pytest file, as a grade cell sees it."""

    nodeid: str
    outcome: str  # "passed", "failed" or "skipped"
    error: str | None  # the exception's type name when it failed ("AssertionError", ...)
    message: str  # the first line of the failure, for feedback


NO_AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


def run_pytest(test_file: str | Path, *args: str) -> list[PytestOutcome]:
    """Run a learner's pytest file inside this kernel; return one outcome per test.

    In the kernel, not in a subprocess, so the tests can load objects defined in the notebook
    (a model pickled from ``__main__``). pytest runs from the file's folder (its ``conftest.py``
    applies), and the modules it imported from there are forgotten afterwards, so an edited file
    is read again on the next run. A file that does not import, or collects no test, fails here
    with pytest's own words. ``args`` go to pytest (for example ``--model PATH``).
    """
    import contextlib
    import io
    import os
    import sys
    from unittest import mock

    import pytest

    source = Path(test_file).resolve()
    if not source.is_file():
        _fail(f"{Path(test_file)} does not exist: run the cell that writes it first")
    folder = source.parent
    recorder = _Recorder()
    before = set(sys.modules)
    output = io.StringIO()
    # The plugins installed for the course's own tests (hypothesis, schemathesis, anyio...) are
    # not loaded: a learner's file needs none of them, and loading them costs about 2 s a run.
    try:
        with mock.patch.dict(os.environ, {NO_AUTOLOAD: "1"}), contextlib.chdir(folder), \
                contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            code = pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", str(folder),
                                "--confcutdir", str(folder), "-W", "ignore", source.name,
                                *args], plugins=[recorder])
    finally:
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(folder)):
                del sys.modules[name]
    if int(code) in (2, 3, 4) or not recorder.outcomes:
        lines = [line for line in output.getvalue().splitlines() if line.strip()]
        _fail(f"pytest could not run {source.name} (exit code {int(code)}):\n"
              + "\n".join(lines[-15:]))
    return recorder.outcomes


class _Recorder:
    """A pytest plugin that keeps each test's outcome and the type of what it raised."""

    def __init__(self) -> None:
        self.outcomes: list[PytestOutcome] = []

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        if call.when == "teardown" or (call.when == "setup" and call.excinfo is None):
            return
        if call.excinfo is None:
            self.outcomes.append(PytestOutcome(item.nodeid, "passed", None, ""))
        elif call.excinfo.typename == "Skipped":
            self.outcomes.append(PytestOutcome(item.nodeid, "skipped", None, ""))
        else:
            lines = str(call.excinfo.value).strip().splitlines()
            self.outcomes.append(PytestOutcome(item.nodeid, "failed", call.excinfo.typename,
                                               lines[0][:300] if lines else ""))
