"""Append every prediction to a JSON-lines file: the raw material of the drift job."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from .schemas import Features, Prediction


class PredictionLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(
        self, rows: list[Features], predictions: list[Prediction], model_version: str
    ) -> None:
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        lines = [
            json.dumps(
                {
                    "ts": now,
                    "model_version": model_version,
                    "features": row.model_dump(),
                    "outcome": pred.outcome,  # what the drift job and the metrics count
                    "prediction": pred.model_dump(),
                }
            )
            for row, pred in zip(rows, predictions, strict=True)
        ]
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as handle:
                handle.write("\n".join(lines) + "\n")


def read_log(path: Path) -> Iterator[dict]:
    """Yield logged records; a partly written last line (crash mid-write) is skipped."""
    with path.open() as handle:
        for line in handle:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue
