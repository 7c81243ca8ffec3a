"""Command line: `python -m <package> COMMAND --config configs/train.yaml`, where COMMAND is
train, validate, warehouse or champion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .artifact import ArtifactError
from .config import ConfigError, load_config
from .data import DataValidationError, load_raw, validate

app = typer.Typer(help="Train and evaluate the model from a config file.", no_args_is_help=True)
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="YAML run configuration")]


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command("validate")
def validate_command(config: ConfigOption = Path("configs/train.yaml")) -> None:
    """Check the data against its contract without training."""
    try:
        cfg = load_config(config)
        report = validate(load_raw(cfg.data), cfg.data)
    except ConfigError as exc:
        _fail(str(exc), code=2)
    except FileNotFoundError as exc:
        _fail(str(exc))
    if not report.ok:
        _fail(str(DataValidationError(report.problems)))
    typer.echo(f"data OK: {report.rows} rows, {len(cfg.data.features)} features")


@app.command("warehouse")
def warehouse_command(config: ConfigOption = Path("configs/train.yaml")) -> None:
    """(Re)build the SQLite database named by data.sqlite_path from the shipped data."""
    from .data import build_warehouse

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        _fail(str(exc), code=2)
    typer.echo(f"built {build_warehouse(cfg.data)}")


@app.command("champion")
def champion_command(config: ConfigOption = Path("configs/train.yaml")) -> None:
    """Show the registry's champion (served) and challenger (the latest not clearly better)."""
    from .tracking import describe_aliases

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        _fail(str(exc), code=2)
    for line in describe_aliases(cfg.tracking):
        typer.echo(line)


@app.command("train")
def train_command(
    config: ConfigOption = Path("configs/train.yaml"),
    no_tracking: Annotated[bool, typer.Option(help="Skip the MLflow run")] = False,
) -> None:
    """Run the pipeline; exit 1 when the quality gate rejects the model."""
    from .train import run_pipeline

    try:
        cfg = load_config(config)
        if no_tracking:
            cfg.tracking.enabled = False
        result = run_pipeline(cfg)
    except ConfigError as exc:
        _fail(str(exc), code=2)
    except (DataValidationError, FileNotFoundError, ArtifactError) as exc:
        _fail(str(exc))
    gate = result.gate
    shown = (
        "roc_auc",
        "average_precision",
        "brier",
        "f1",
        "threshold",
        "f1_macro",
        "accuracy",
        "mae",
        "rmse",
        "r2",
        "train_seconds",
    )
    summary = {k: result.metrics[k] for k in shown if k in result.metrics}
    typer.echo(f"artifact: {result.artifact_dir}")
    typer.echo(f"metrics:  {json.dumps(summary)}")
    typer.echo(f"gate:     {gate.metric} {gate.value} vs baseline {gate.baseline}")
    if result.mlflow_run_id:
        typer.echo(f"mlflow run: {result.mlflow_run_id} ({cfg.tracking.uri})")
    if result.model_version:
        name, alias = cfg.tracking.model_name, result.promotion.decision
        typer.echo(f"registry: {name} version {result.model_version} is now '{alias}'")
    typer.echo(result.promotion.line())
    if not gate.passed:
        _fail(
            "quality gate FAILED (the model was saved but not promoted): " + "; ".join(gate.reasons)
        )
    typer.echo("quality gate passed")


@app.command("metrics")
def metrics_command(config: ConfigOption = Path("configs/train.yaml")) -> None:
    """Retrain from the config (no MLflow run, nothing promoted) and write
    reports/metrics.json and the metrics tables in README.md and MODEL_CARD.md."""
    import tempfile

    from .report import write_report
    from .train import run_pipeline

    try:
        cfg = load_config(config)
        cfg.tracking.enabled = False
        with tempfile.TemporaryDirectory(prefix="metrics-") as scratch:
            cfg.output.artifacts_dir = Path(scratch)
            result = run_pipeline(cfg)
    except ConfigError as exc:
        _fail(str(exc), code=2)
    except (DataValidationError, FileNotFoundError) as exc:
        _fail(str(exc))
    path = write_report(result.metrics, source=f"{config}: {cfg.task}, model {cfg.model.kind}")
    typer.echo(f"wrote {path} and the tables in README.md and MODEL_CARD.md: commit them")
    if not result.gate.passed:
        typer.echo("note: this model fails the quality gate; `make train` would not promote it")
