"""The drift job: compare logged production inputs with the training data, per feature.

Numeric features get PSI (on reference-quantile bins) and a two-sample KS test; categorical
features get PSI over their categories. Any drifted feature writes ``alert.json`` next to a
JSON + Markdown report with one plot per feature.

A fixed PSI cut-off ignores sample size: 50 predictions drawn from the training data itself
often score PSI > 0.2 by chance alone, and with six features tested at once most windows
would alarm. So each feature's cut-off is the larger of the "act" floor (PSI 0.2) and what
chance gives at this window's size: the (1 - rate / features) quantile of PSI between the
reference and samples of the same size drawn from the reference. The KS test gets the same
Bonferroni correction. Together they keep the false-alarm rate per window at about
``false_alarm_rate`` when nothing has changed (tested), whatever the window size.

    python -m <package>.drift --artifact-dir artifacts/model --log logs/predictions.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from .config import DriftThresholds
from .prediction_log import read_log
from .train import CATEGORICAL, NUMERIC

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
    edges = np.unique(np.quantile(reference.dropna().to_numpy(float),
                                  np.linspace(0, 1, bins + 1)))
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
    ref, cur = reference.fillna("<missing>"), current.fillna("<missing>")
    categories = sorted(set(ref) | set(cur))
    expected = ref.value_counts().reindex(categories, fill_value=0).to_numpy()
    actual = cur.value_counts().reindex(categories, fill_value=0).to_numpy()
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

    @property
    def drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]


def chance_psi(reference: pd.Series, size: int, quantile: float, *, numeric: bool,
               draws: int = 4000, seed: int = 0) -> float:
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


def psi_cutoffs(reference: pd.DataFrame, size: int,
                thresholds: DriftThresholds) -> dict[str, float]:
    """Each feature's PSI cut-off for a window of ``size`` rows: the "act" floor, or what
    chance reaches at the Bonferroni level, whichever is higher."""
    level = 1 - thresholds.false_alarm_rate / len([*NUMERIC, *CATEGORICAL])
    return {name: max(thresholds.psi, chance_psi(reference[name], size, level,
                                                 numeric=name in NUMERIC))
            for name in [*NUMERIC, *CATEGORICAL]}


def detect_drift(reference: pd.DataFrame, current: pd.DataFrame, thresholds: DriftThresholds,
                 cutoffs: dict[str, float] | None = None) -> DriftReport:
    """Score every model feature; refuse to judge fewer than ``min_samples`` predictions.

    ``cutoffs`` (from ``psi_cutoffs`` for this window size) can be passed in when many
    windows of one size are judged against one reference.
    """
    if len(current) < thresholds.min_samples:
        raise ValueError(f"only {len(current)} logged predictions; the drift job needs at least "
                         f"{thresholds.min_samples} (run the simulator or wait for traffic)")
    cutoffs = cutoffs or psi_cutoffs(reference, len(current), thresholds)
    ks_level = min(thresholds.ks_pvalue,
                   thresholds.false_alarm_rate / len([*NUMERIC, *CATEGORICAL]))  # Bonferroni
    results = []
    for name in NUMERIC:
        psi = psi_numeric(reference[name], current[name])
        ks = ks_2samp(reference[name].dropna(), current[name].dropna())
        drifted = psi >= cutoffs[name] or ks.pvalue < ks_level
        results.append(FeatureDrift(name, "numeric", round(psi, 4), round(float(ks.statistic), 4),
                                    float(f"{ks.pvalue:.4g}"), bool(drifted)))
    for name in CATEGORICAL:
        psi = psi_categorical(reference[name], current[name])
        results.append(FeatureDrift(name, "categorical", round(psi, 4), None, None,
                                    bool(psi >= cutoffs[name])))
    return DriftReport(datetime.now(UTC).isoformat(timespec="seconds"), len(reference),
                       len(current), thresholds.model_dump(), results)


def write_metrics(report: DriftReport, path: Path) -> Path:
    """The drift scores as Prometheus metrics, in the text format that node_exporter's
    textfile collector (or a Pushgateway) publishes: Prometheus can then graph PSI per
    feature and alert on it like any other signal."""
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    registry = CollectorRegistry()
    psi = Gauge("drift_psi", "PSI of a feature, production vs training", ["feature"],
                registry=registry)
    drifted = Gauge("drift_detected", "1 when the feature drifted in the last run", ["feature"],
                    registry=registry)
    rows = Gauge("drift_window_rows", "Predictions in the last drift window", registry=registry)
    last = Gauge("drift_last_run_timestamp_seconds", "When the drift job last ran",
                 registry=registry)
    for feature in report.features:
        psi.labels(feature.feature).set(feature.psi)
        drifted.labels(feature.feature).set(int(feature.drifted))
    rows.set(report.current_rows)
    last.set(datetime.fromisoformat(report.created_at).timestamp())
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
    return path


def load_current(log_path: Path) -> pd.DataFrame:
    if not log_path.is_file():
        raise FileNotFoundError(f"no prediction log at {log_path}: run `make simulate` first")
    return pd.DataFrame([record["features"] for record in read_log(log_path)])


def write_report(report: DriftReport, reference: pd.DataFrame, current: pd.DataFrame,
                 out_dir: Path) -> Path | None:
    """Write drift_report.json/.md and plots; write alert.json if anything drifted
    (and remove a stale one otherwise). Return the alert path, if any."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "drift_report.json").write_text(json.dumps(
        {**asdict(report), "drifted_features": report.drifted_features}, indent=2) + "\n")
    plots = _plot_features(reference, current, out_dir)
    (out_dir / "drift_report.md").write_text(_markdown(report, plots))
    alert = out_dir / "alert.json"
    if not report.drifted_features:
        alert.unlink(missing_ok=True)
        return None
    alert.write_text(json.dumps({
        "alert": "FeatureDrift", "severity": "warning", "created_at": report.created_at,
        "features": report.drifted_features, "runbook": "RUNBOOK.md#featuredrift",
        "summary": f"{len(report.drifted_features)} feature(s) drifted: "
                   + ", ".join(report.drifted_features),
    }, indent=2) + "\n")
    return alert


def _plot_features(reference: pd.DataFrame, current: pd.DataFrame, out_dir: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = {}
    for name in [*NUMERIC, *CATEGORICAL]:
        fig, ax = plt.subplots(figsize=(5, 3))
        if name in NUMERIC:
            ax.hist(reference[name].dropna(), bins=20, alpha=0.6, density=True, label="training")
            ax.hist(current[name].dropna(), bins=20, alpha=0.6, density=True, label="production")
        else:
            shares = pd.DataFrame({
                "training": reference[name].fillna("<missing>").value_counts(normalize=True),
                "production": current[name].fillna("<missing>").value_counts(normalize=True),
            }).fillna(0)
            shares.plot.bar(ax=ax, rot=0)
        ax.set_title(name)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / f"{name}.png", dpi=80)
        plt.close(fig)
        plots[name] = f"{name}.png"
    return plots


def _markdown(report: DriftReport, plots: dict) -> str:
    status = ("DRIFT: " + ", ".join(report.drifted_features)) if report.drifted_features \
        else "no drift detected"
    lines = [f"# Drift report ({report.created_at})", "",
             f"Reference rows: {report.reference_rows} · production rows: "
             f"{report.current_rows} · status: **{status}**", "",
             f"Thresholds: PSI ≥ {report.thresholds['psi']} and above what chance reaches "
             f"at this window's size, or a KS p-value below the Bonferroni level; together "
             f"about {report.thresholds['false_alarm_rate']:.0%} false alarms per window "
             "when nothing has changed", "",
             "| Feature | Kind | PSI | KS statistic | KS p-value | Drifted |",
             "|---|---|---|---|---|---|"]
    for f in report.features:
        lines.append(f"| {f.feature} | {f.kind} | {f.psi} | {f.ks_statistic or '-'} | "
                     f"{f.ks_pvalue if f.ks_pvalue is not None else '-'} | "
                     f"{'yes' if f.drifted else 'no'} |")
    lines.append("")
    lines += [f"![{name}]({file})" for name, file in plots.items()]
    return "\n".join(lines) + "\n"


# Exit statuses, distinct so that a scheduler (or `make demo`) can tell "drift found" from
# "the job could not run" (2) and from a crash (Python's own 1).
NO_DRIFT, CANNOT_RUN, DRIFT_FOUND = 0, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-feature drift check with alerting. Exit "
                                     "0: no drift; 3: drift found (with --fail-on-drift); "
                                     "2: the job could not run; 1: it crashed.")
    parser.add_argument("--artifact-dir", type=Path, default=Path("artifacts/model"))
    parser.add_argument("--log", type=Path, default=Path("logs/predictions.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("reports/drift"))
    parser.add_argument("--fail-on-drift", action="store_true",
                        help=f"exit {DRIFT_FOUND} when drift is found")
    args = parser.parse_args(argv)
    try:
        reference = pd.read_csv(args.artifact_dir / "reference.csv")
        current = load_current(args.log)
        report = detect_drift(reference, current, DriftThresholds())
    except (OSError, ValueError) as error:  # no artifact, no log, too few predictions
        print(f"drift job could not run: {error}", file=sys.stderr)
        return CANNOT_RUN
    alert = write_report(report, reference, current, args.out)
    write_metrics(report, args.out / "drift.prom")
    print(f"report: {args.out / 'drift_report.md'} (metrics: {args.out / 'drift.prom'})")
    if alert is None:
        print("no drift detected")
        return NO_DRIFT
    print(f"ALERT written to {alert}: drifted features {', '.join(report.drifted_features)}")
    return DRIFT_FOUND if args.fail_on_drift else NO_DRIFT


if __name__ == "__main__":
    sys.exit(main())
