"""The HTTP service with metrics and prediction logging. Nothing is loaded at import time.

Run it with ``uvicorn --factory <package>.app:create_app``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request

from . import __version__
from .config import Settings
from .logs import add_request_logging, configure_logging
from .metrics import ServiceMetrics, instrument
from .prediction_log import PredictionLog
from .predictor import ArtifactError, Predictor
from .schemas import (
    BatchRequest,
    BatchResponse,
    ErrorMessage,
    Features,
    Health,
    Metadata,
    Prediction,
    PredictResponse,
)

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorMessage, "description": "No model artifact is loaded"}
}


def get_predictor(request: Request) -> Predictor:
    predictor = request.app.state.predictor
    if predictor is None:
        if request.url.path.startswith("/predict"):  # a health probe is not a failed prediction
            request.app.state.metrics.errors.labels(kind="model_unavailable").inc()
        raise HTTPException(status_code=503, detail=request.app.state.load_error)
    return predictor


PredictorDep = Annotated[Predictor, Depends(get_predictor)]


def _record(
    request: Request,
    rows: list[Features],
    predictions: list[Prediction],
    predictor: Predictor,
) -> None:
    for prediction in predictions:
        request.app.state.metrics.predictions.labels(outcome=prediction.outcome).inc()
    if request.app.state.log is not None:
        request.app.state.log.write(rows, predictions, predictor.version)


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> FastAPI:
    """Build the app; a missing artifact leaves it running but answering 503 with a fix."""
    settings = settings or Settings()
    app = FastAPI(
        title=settings.title,
        version=__version__,
        description=f"{settings.description} Exposes Prometheus metrics at /metrics.",
    )
    app.state.metrics = ServiceMetrics()
    app.state.log = PredictionLog(settings.prediction_log) if settings.prediction_log else None
    configure_logging(settings.log_level, settings.log_format)
    add_request_logging(app)
    app.state.predictor, app.state.load_error = predictor, None
    if predictor is None:
        try:
            app.state.predictor = Predictor.load(settings.artifact_dir)
        except ArtifactError as exc:
            app.state.load_error = str(exc)
    app.state.metrics.model_loaded.set(app.state.predictor is not None)

    instrument(app, app.state.metrics)  # latency, invalid requests, GET /metrics

    @app.get("/health", response_model=Health, responses=UNAVAILABLE, tags=["ops"])
    def health(predictor: PredictorDep) -> Health:
        """Ready when a model is loaded (used by the Docker HEALTHCHECK)."""
        return Health(status="ok", model_version=predictor.version)

    @app.get("/metadata", response_model=Metadata, responses=UNAVAILABLE, tags=["ops"])
    def metadata(predictor: PredictorDep) -> Metadata:
        """Which model is serving, what it expects, and how it scored when trained."""
        meta = predictor.metadata
        return Metadata(
            model_version=predictor.version,
            created_at=meta["created_at"],
            task=predictor.task,
            target=meta.get("target", ""),
            classes=meta["classes"],
            threshold=meta.get("threshold"),
            features=predictor.features,
            metrics=meta.get("metrics", {}),
        )

    @app.post("/predict", response_model=PredictResponse, responses=UNAVAILABLE, tags=["predict"])
    def predict(
        features: Features, predictor: PredictorDep, request: Request
    ) -> PredictResponse:
        """One prediction; the body is validated against the schema first (422 if not)."""
        predictions = predictor.predict([features])
        _record(request, [features], predictions, predictor)
        return PredictResponse(**predictions[0].model_dump(), model_version=predictor.version)

    @app.post(
        "/predict/batch", response_model=BatchResponse, responses=UNAVAILABLE, tags=["predict"]
    )
    def predict_batch(
        batch: BatchRequest, predictor: PredictorDep, request: Request
    ) -> BatchResponse:
        """Up to 256 predictions in one request, in the order sent."""
        predictions = predictor.predict(batch.instances)
        _record(request, batch.instances, predictions, predictor)
        return BatchResponse(predictions=predictions, model_version=predictor.version)

    return app
