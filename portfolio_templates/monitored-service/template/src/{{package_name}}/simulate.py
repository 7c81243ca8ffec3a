"""A traffic simulator: realistic requests, with drift injected on demand.

``none`` resamples the real data with small measurement noise. ``measurement`` mimics a
recalibrated scale and a new flipper-measuring protocol (body mass +15 %, flipper +10 mm).
``population`` sends only Biscoe-island Gentoo-like birds (a change in who is observed).

    python -m <package>.simulate --n 500 --drift measurement
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Literal

import numpy as np
from palmerpenguins import load_penguins

from .schemas import PenguinFeatures
from .train import CATEGORICAL, NUMERIC

DriftMode = Literal["none", "measurement", "population"]
_PROPERTIES = PenguinFeatures.model_json_schema()["properties"]
LIMITS = {name: (_PROPERTIES[name]["minimum"], _PROPERTIES[name]["maximum"]) for name in NUMERIC}


def generate_traffic(n: int, drift: DriftMode = "none", seed: int = 0) -> list[dict]:
    """Return ``n`` request bodies that pass the API's validation."""
    rng = np.random.default_rng(seed)
    pool = load_penguins().dropna(subset=NUMERIC)
    if drift == "population":
        pool = pool[pool["island"] == "Biscoe"]
    rows = pool.sample(n, replace=True, random_state=seed)[NUMERIC + CATEGORICAL].copy()
    for name in NUMERIC:
        rows[name] = rows[name] + rng.normal(0, 0.02 * pool[name].std(), n)
    if drift == "measurement":
        rows["body_mass_g"] *= 1.15
        rows["flipper_length_mm"] += 10
    for name, (low, high) in LIMITS.items():
        rows[name] = rows[name].clip(low, high).round(1)
    rows["sex"] = rows["sex"].astype(object).where(rows["sex"].notna(), None)
    return rows.to_dict(orient="records")


def send(bodies: list[dict], client, batch_size: int = 25) -> int:
    """POST the bodies in batches with an httpx-compatible client; return predictions made."""
    served = 0
    for start in range(0, len(bodies), batch_size):
        chunk = bodies[start : start + batch_size]
        response = client.post("/predict/batch", json={"instances": chunk})
        response.raise_for_status()
        served += len(response.json()["predictions"])
    return served


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Send simulated traffic, optionally drifted.")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--drift", choices=["none", "measurement", "population"], default="none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--url", help="a running service; default: an in-process app")
    parser.add_argument("--artifact-dir", type=Path, default=Path("artifacts/model"))
    parser.add_argument("--log", type=Path, default=Path("logs/predictions.jsonl"))
    args = parser.parse_args(argv)
    bodies = generate_traffic(args.n, args.drift, args.seed)
    if args.url:
        import httpx

        with httpx.Client(base_url=args.url, timeout=30) as client:
            served = send(bodies, client)
    else:
        import warnings

        with warnings.catch_warnings():  # starlette's note about its httpx-based test client
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient

        from .app import create_app
        from .config import Settings

        app = create_app(Settings(artifact_dir=args.artifact_dir, prediction_log=args.log))
        with TestClient(app) as client:
            served = send(bodies, client)
    print(f"sent {served} predictions (drift={args.drift})")
    return served


if __name__ == "__main__":
    main()
