"""The drift job: compare logged production inputs with the training data, per feature.

Numeric features get PSI (on reference-quantile bins) and a two-sample KS test; categorical
features get PSI over their categories. The model's own output is watched the same way
(``prediction``: the share of each predicted class, against what the model predicts on its
training inputs), because inputs can drift in ways no single feature shows. The features come
from the served model's ``metadata.json``, so the job watches what the model actually uses.

The log is cut into windows (``--window``, counted back from the newest prediction) and per
model version, so a drift that started on Tuesday, or only under the new model, is seen as
such instead of being averaged away. A drift in the latest window of any model version writes
``alert.json`` next to a JSON + Markdown report with one plot per feature.

A fixed PSI cut-off ignores sample size: 50 predictions drawn from the training data itself
often score PSI > 0.2 by chance alone, and with six features tested at once most windows
would alarm. So each feature's cut-off is the larger of the "act" floor (PSI 0.2) and what
chance gives at this window's size: the (1 - rate / tests) quantile of PSI between the
reference and samples of the same size drawn from the reference, where ``tests`` counts
every test a window runs (PSI and KS for a numeric feature, PSI for a categorical one). The
KS test gets the same Bonferroni level. Splitting the rate over tests, not features, matters:
a numeric feature alarms when either of its tests fires. Split per feature, drift-free
50-row flight windows alarmed 7.0% of the time (42 of 600); split per test, 4.7% (28 of
600). Together the tests keep the false-alarm rate per window at or below
``false_alarm_rate`` when nothing has changed (tested), whatever the window size.

    python -m <package>.drift --artifact-dir artifacts/model --log logs/predictions.jsonl \
        --window 1D
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from .config import DriftThresholds
from .prediction_log import read_log

SMOOTHING = 0.5  # a half count added to every bin (Jeffreys), on both sides


def _psi_from_counts(expected: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """PSI from bin counts (rows of several windows at once, or one window).

    An empty bin has share 0 and PSI's log would be infinite; clipping it to a tiny share
    instead makes one empty rare bin (no missing ``sex`` in 100 rows, say) worth PSI 0.26 on its
    own. Adding half a count to every bin keeps small windows honest.
    """
    expected = (expected + SMOOTHING) / (expected + SMOOTHING).sum(axis=-1, keepdims=True)
    actual = (actual + SMOOTHING) / (actual + SMOOTHING).sum(axis=-1, keepdims=True)
    return np.sum((actual - expected) * np.log(actual / expected), axis=-1)


def _numeric_bins(reference: pd.Series, bins: int = 10) -> np.ndarray:
    """Bin edges at the reference's quantiles, open at both ends."""
    edges = np.unique(np.quantile(reference.dropna().to_numpy(float), np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    return edges


def psi_numeric(reference: pd.Series, current: pd.Series, bins: int = 10) -> float:
    """Population stability index on bins cut at the reference quantiles."""
    edges = _numeric_bins(reference, bins)
    expected = np.histogram(reference.dropna().to_numpy(float), edges)[0]
    actual = np.histogram(current.dropna().to_numpy(float), edges)[0]
    return float(_psi_from_counts(expected, actual))


def psi_categorical(reference: pd.Series, current: pd.Series) -> float:
    """PSI over category shares; missing values count as their own category."""
    ref = reference.fillna("<missing>").value_counts()  # counted once, not per row
    cur = current.fillna("<missing>").value_counts()
    categories = sorted(set(ref.index) | set(cur.index), key=str)
    expected = ref.reindex(categories, fill_value=0).to_numpy()
    actual = cur.reindex(categories, fill_value=0).to_numpy()
    return float(_psi_from_counts(expected, actual))


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str
    psi: float
    ks_statistic: float | None
    ks_pvalue: float | None
    drifted: bool


@dataclass(frozen=True)
class DriftReport:
    created_at: str
    reference_rows: int
    current_rows: int
    thresholds: dict
    features: list[FeatureDrift]
    model_version: str | None = None
    window_start: str | None = None
    window_end: str | None = None

    @property
    def drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]


def chance_psi(
    reference: pd.Series,
    size: int,
    quantile: float,
    *,
    numeric: bool,
    draws: int = 4000,
    seed: int = 0,
) -> float:
    """The PSI that chance alone reaches with probability ``1 - quantile`` for a window of
    ``size`` rows when nothing has changed.

    Both sides are samples: the training data is one draw of the population and the window is
    another. So the null draws both from the reference's own shares (multinomially, in the
    bins ``psi_numeric``/``psi_categorical`` use), scores each pair, and takes the quantile.
    """
    rng = np.random.default_rng(seed)
    if numeric:
        values = reference.dropna().to_numpy(float)
        counts = np.histogram(values, _numeric_bins(reference))[0]
    else:
        counts = reference.fillna("<missing>").value_counts().to_numpy()
    shares = counts / counts.sum()
    expected = rng.multinomial(int(counts.sum()), shares, size=draws)
    actual = rng.multinomial(size, shares, size=draws)
    return float(np.quantile(_psi_from_counts(expected, actual), quantile))


def feature_kinds(
    reference: pd.DataFrame, numeric: list[str] | None = None, categorical: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """The numeric and categorical columns to watch: as given (from the model's metadata),
    or read from the reference's dtypes."""
    if numeric is None and categorical is None:
        numeric = [c for c in reference.columns if pd.api.types.is_numeric_dtype(reference[c])]
        categorical = [c for c in reference.columns if c not in numeric]
    return list(numeric or []), list(categorical or [])


def tests_per_window(numeric: list[str], categorical: list[str]) -> int:
    """How many tests a window runs: PSI and KS per numeric feature, PSI per categorical one.
    The false-alarm rate is split over all of them (Bonferroni), so that any one firing by
    chance is at most that likely."""
    return max(1, 2 * len(numeric) + len(categorical))


def psi_cutoffs(
    reference: pd.DataFrame,
    size: int,
    thresholds: DriftThresholds,
    *,
    numeric: list[str] | None = None,
    categorical: list[str] | None = None,
) -> dict[str, float]:
    """Each column's PSI cut-off for a window of ``size`` rows: the "act" floor, or what
    chance reaches at the Bonferroni level, whichever is higher."""
    numeric, categorical = feature_kinds(reference, numeric, categorical)
    level = 1 - thresholds.false_alarm_rate / tests_per_window(numeric, categorical)
    return {
        name: max(thresholds.psi, chance_psi(reference[name], size, level, numeric=name in numeric))
        for name in [*numeric, *categorical]
    }


def detect_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    thresholds: DriftThresholds,
    cutoffs: dict[str, float] | None = None,
    *,
    numeric: list[str] | None = None,
    categorical: list[str] | None = None,
) -> DriftReport:
    """Score every watched column; refuse to judge fewer than ``min_samples`` predictions.

    ``cutoffs`` (from ``psi_cutoffs`` for this window size) can be passed in when many
    windows of one size are judged against one reference.
    """
    if len(current) < thresholds.min_samples:
        raise ValueError(
            f"only {len(current)} logged predictions; the drift job needs at least "
            f"{thresholds.min_samples} (run the simulator or wait for traffic)"
        )
    numeric, categorical = feature_kinds(reference, numeric, categorical)
    cutoffs = cutoffs or psi_cutoffs(
        reference, len(current), thresholds, numeric=numeric, categorical=categorical
    )
    ks_level = min(
        thresholds.ks_pvalue,
        thresholds.false_alarm_rate / tests_per_window(numeric, categorical),
    )  # Bonferroni over every test the window runs
    results = []
    for name in numeric:
        psi = psi_numeric(reference[name], current[name])
        ks = ks_2samp(reference[name].dropna(), current[name].dropna())
        drifted = psi >= cutoffs[name] or ks.pvalue < ks_level
        results.append(
            FeatureDrift(
                name,
                "numeric",
                round(psi, 4),
                round(float(ks.statistic), 4),
                float(f"{ks.pvalue:.4g}"),
                bool(drifted),
            )
        )
    for name in categorical:
        psi = psi_categorical(reference[name], current[name])
        results.append(
            FeatureDrift(
                name,
                "prediction" if name == PREDICTION else "categorical",
                round(psi, 4),
                None,
                None,
                bool(psi >= cutoffs[name]),
            )
        )
    return DriftReport(
        datetime.now(UTC).isoformat(timespec="seconds"),
        len(reference),
        len(current),
        thresholds.model_dump(),
        results,
    )


PREDICTION = "prediction"  # the column holding the model's predicted class


@dataclass(frozen=True)
class Watch:
    """What the served model uses and predicts, read from its artifact."""

    numeric: list[str]
    categorical: list[str]
    reference: pd.DataFrame  # training inputs, plus the model's predictions on them
    target: str | None  # what the model predicts; None: predictions are not watched

    @classmethod
    def from_artifact(cls, artifact_dir: Path) -> Watch:
        from .predictor import Predictor

        metadata = json.loads((artifact_dir / "metadata.json").read_text())
        numeric, categorical = metadata["numeric_features"], metadata["categorical_features"]
        reference = pd.read_csv(
            artifact_dir / "reference.csv", keep_default_na=False, na_values=[""]
        )[[*numeric, *categorical]]
        target = metadata.get("target")
        if target:  # prediction drift: the outcome shares the model gives its training inputs
            predictor = Predictor.load(artifact_dir)  # checks the model file's sha256 first
            reference[PREDICTION] = [p.outcome for p in predictor.predict_frame(reference)]
            categorical = [*categorical, PREDICTION]
        return cls(numeric, categorical, reference, target)


def windows(
    log: pd.DataFrame, every: pd.Timedelta
) -> list[tuple[str, pd.Timestamp, pd.Timestamp, pd.DataFrame]]:
    """Cut the log into (model version, start, end, rows), newest window first.

    Windows are counted back from the newest prediction, so the latest window always holds the
    latest traffic (a burst is never split at midnight), and each model version is judged on
    its own traffic only.
    """
    newest = log["ts"].max()
    index = ((newest - log["ts"]) // every).astype(int)
    found = []
    for (version, k), rows in log.groupby(["model_version", index], sort=True):
        end = newest - cast(int, k) * every  # the window's index, counted back
        found.append((str(version), end - every, end, rows.drop(columns=["ts", "model_version"])))
    return sorted(found, key=lambda w: (w[2], w[0]), reverse=True)


def judge_windows(
    watch: Watch,
    log: pd.DataFrame,
    every: pd.Timedelta,
    thresholds: DriftThresholds,
) -> tuple[list[DriftReport], list[dict], pd.DataFrame]:
    """A drift report for every window with enough predictions, newest first; the windows
    skipped as too small; and the rows of the newest judged window (for its plots)."""
    judged: list[DriftReport] = []
    skipped: list[dict[str, Any]] = []
    newest: pd.DataFrame | None = None
    for version, start, end, rows in windows(log, every):
        span = {
            "model_version": version,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
        }
        if len(rows) < thresholds.min_samples:
            skipped.append({**span, "rows": len(rows)})
            continue
        rows = rows[watch.reference.columns]
        report = detect_drift(
            watch.reference, rows, thresholds, numeric=watch.numeric, categorical=watch.categorical
        )
        judged.append(DriftReport(**{**asdict(report), "features": report.features, **span}))
        newest = rows if newest is None else newest
    if not judged:
        largest = max((s["rows"] for s in skipped), default=0)
        raise ValueError(
            f"no window of {every} has {thresholds.min_samples} predictions (the "
            f"largest has {largest}): run the simulator, wait for traffic or "
            f"use a longer --window"
        )
    assert newest is not None  # set with the first judged window
    return judged, skipped, newest


def latest_per_version(judged: list[DriftReport]) -> list[DriftReport]:
    """The newest judged window of each model version: what the alert is about."""
    latest: dict[str | None, DriftReport] = {}
    for report in judged:  # newest first
        latest.setdefault(report.model_version, report)
    return list(latest.values())


def write_metrics(reports: list[DriftReport], path: Path) -> Path:
    """The drift scores of each model version's latest window as Prometheus metrics, in the
    text format that node_exporter's textfile collector (or a Pushgateway) publishes:
    Prometheus can then graph PSI per feature and alert on it like any other signal."""
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    registry = CollectorRegistry()
    psi = Gauge(
        "drift_psi",
        "PSI of a feature (or of the predictions), production vs training",
        ["feature", "model_version"],
        registry=registry,
    )
    drifted = Gauge(
        "drift_detected",
        "1 when the feature drifted in the latest window",
        ["feature", "model_version"],
        registry=registry,
    )
    rows = Gauge(
        "drift_window_rows",
        "Predictions in the latest drift window",
        ["model_version"],
        registry=registry,
    )
    last = Gauge(
        "drift_last_run_timestamp_seconds", "When the drift job last ran", registry=registry
    )
    for report in reports:
        version = report.model_version or "unknown"
        for feature in report.features:
            psi.labels(feature.feature, version).set(feature.psi)
            drifted.labels(feature.feature, version).set(int(feature.drifted))
        rows.labels(version).set(report.current_rows)
    last.set(datetime.now(UTC).timestamp())
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
    return path


def load_log(log_path: Path, watch: Watch) -> pd.DataFrame:
    """The prediction log as one row per prediction: time, model version, inputs, prediction."""
    if not log_path.is_file():
        raise FileNotFoundError(f"no prediction log at {log_path}: run `make simulate` first")
    rows = [
        {
            "ts": record.get("ts"),
            "model_version": record.get("model_version", "unknown"),
            **record["features"],
            **({PREDICTION: str(record.get("outcome"))} if watch.target else {}),
        }
        for record in read_log(log_path)
    ]
    if not rows:
        raise ValueError(f"{log_path} holds no predictions yet")
    frame = pd.DataFrame(rows)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True, format="ISO8601")
    return frame


def write_report(
    reports: list[DriftReport],
    skipped: list[dict],
    reference: pd.DataFrame,
    current: pd.DataFrame,
    out_dir: Path,
) -> Path | None:
    """Write drift_report.json/.md and plots of the newest window; write alert.json if the
    latest window of any model version drifted (and remove a stale one otherwise). Return the
    alert path, if any."""
    out_dir.mkdir(parents=True, exist_ok=True)
    latest = latest_per_version(reports)
    drifted = sorted({f for report in latest for f in report.drifted_features})
    (out_dir / "drift_report.json").write_text(
        json.dumps(
            {
                **asdict(reports[0]),
                "drifted_features": drifted,
                "windows": [{**asdict(r), "drifted_features": r.drifted_features} for r in reports],
                "skipped_windows": skipped,
            },
            indent=2,
        )
        + "\n"
    )
    plots = _plot_features(reference, current, out_dir)
    (out_dir / "drift_report.md").write_text(_markdown(reports, skipped, plots))
    alert = out_dir / "alert.json"
    if not drifted:
        alert.unlink(missing_ok=True)
        return None
    alert.write_text(
        json.dumps(
            {
                "alert": "FeatureDrift",
                "severity": "warning",
                "created_at": reports[0].created_at,
                "features": drifted,
                "runbook": "RUNBOOK.md#featuredrift",
                "model_versions": [r.model_version for r in latest if r.drifted_features],
                "summary": f"{len(drifted)} feature(s) drifted in the latest window: "
                + ", ".join(drifted),
            },
            indent=2,
        )
        + "\n"
    )
    return alert


def _plot_features(reference: pd.DataFrame, current: pd.DataFrame, out_dir: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = {}
    for name in current.columns:
        fig, ax = plt.subplots(figsize=(5, 3))
        if pd.api.types.is_numeric_dtype(reference[name]):
            ax.hist(reference[name].dropna(), bins=20, alpha=0.6, density=True, label="training")
            ax.hist(current[name].dropna(), bins=20, alpha=0.6, density=True, label="production")
        else:
            shares = pd.DataFrame(
                {
                    "training": reference[name].fillna("<missing>").value_counts(normalize=True),
                    "production": current[name].fillna("<missing>").value_counts(normalize=True),
                }
            ).fillna(0)
            shares.plot.bar(ax=ax, rot=0)
        ax.set_title(name)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / f"{name}.png", dpi=80)
        plt.close(fig)
        plots[name] = f"{name}.png"
    return plots


def _markdown(reports: list[DriftReport], skipped: list[dict], plots: dict) -> str:
    newest = reports[0]
    status = (
        ("DRIFT: " + ", ".join(newest.drifted_features))
        if newest.drifted_features
        else "no drift detected"
    )
    lines = [
        f"# Drift report ({newest.created_at})",
        "",
        f"Newest window: {newest.window_start} to {newest.window_end}, model "
        f"{newest.model_version} · reference rows: {newest.reference_rows} · production "
        f"rows: {newest.current_rows} · status: **{status}**",
        "",
        f"Thresholds: PSI ≥ {newest.thresholds['psi']} and above what chance reaches "
        f"at this window's size, or a KS p-value below the Bonferroni level; together "
        f"about {newest.thresholds['false_alarm_rate']:.0%} false alarms per window "
        "when nothing has changed",
        "",
        "| Feature | Kind | PSI | KS statistic | KS p-value | Drifted |",
        "|---|---|---|---|---|---|",
    ]
    for f in newest.features:
        lines.append(
            f"| {f.feature} | {f.kind} | {f.psi} | {f.ks_statistic or '-'} | "
            f"{f.ks_pvalue if f.ks_pvalue is not None else '-'} | "
            f"{'yes' if f.drifted else 'no'} |"
        )
    lines += [
        "",
        "## Every window",
        "",
        "| Model version | From | To | Rows | Drifted |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.model_version} | {r.window_start} | {r.window_end} | {r.current_rows} | "
        f"{', '.join(r.drifted_features) or 'no'} |"
        for r in reports
    ]
    lines += [
        f"| {s['model_version']} | {s['window_start']} | {s['window_end']} | {s['rows']} "
        f"| not judged: fewer than {newest.thresholds['min_samples']} rows |"
        for s in skipped
    ]
    lines.append("")
    lines += [f"![{name}]({file})" for name, file in plots.items()]
    return "\n".join(lines) + "\n"


# Exit statuses, distinct so that a scheduler (or `make demo`) can tell "drift found" from
# "the job could not run" (2) and from a crash (Python's own 1).
NO_DRIFT, CANNOT_RUN, DRIFT_FOUND = 0, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Per-feature drift check with alerting. Exit "
        "0: no drift; 3: drift found (with --fail-on-drift); "
        "2: the job could not run; 1: it crashed."
    )
    parser.add_argument("--artifact-dir", type=Path, default=Path("artifacts/model"))
    parser.add_argument("--log", type=Path, default=Path("logs/predictions.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("reports/drift"))
    parser.add_argument(
        "--window",
        default="1D",
        help="window length, counted back from the newest prediction "
        "(pandas: 1D, 6h, 30min); default 1D",
    )
    parser.add_argument(
        "--fail-on-drift", action="store_true", help=f"exit {DRIFT_FOUND} when drift is found"
    )
    args = parser.parse_args(argv)
    try:
        every = pd.Timedelta(args.window)
        watch = Watch.from_artifact(args.artifact_dir)
        log = load_log(args.log, watch)
        reports, skipped, newest = judge_windows(watch, log, every, DriftThresholds())
    except (OSError, ValueError, KeyError) as error:  # no artifact, no log, too few predictions
        print(f"drift job could not run: {error}", file=sys.stderr)
        return CANNOT_RUN
    alert = write_report(reports, skipped, watch.reference, newest, args.out)
    write_metrics(latest_per_version(reports), args.out / "drift.prom")
    print(
        f"report: {args.out / 'drift_report.md'} (metrics: {args.out / 'drift.prom'}); "
        f"{len(reports)} window(s) judged, {len(skipped)} too small"
    )
    if alert is None:
        print("no drift detected")
        return NO_DRIFT
    print(
        f"ALERT written to {alert}: drifted in the latest window: "
        f"{', '.join(json.loads(alert.read_text())['features'])}"
    )
    return DRIFT_FOUND if args.fail_on_drift else NO_DRIFT


if __name__ == "__main__":
    sys.exit(main())
