"""Prometheus metrics for the service, kept in a registry owned by one app instance
(so two apps in one process, as in tests, never share counters)."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        # The process itself (CPU, memory, open files, start time), the Python runtime and its
        # garbage collector: what you look at first when latency or memory climbs.
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Request latency by route",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "predictions_total",
            "Predictions served, by outcome (the predicted class, or band)",
            ["outcome"],
            registry=self.registry,
        )
        self.errors = Counter(
            "prediction_errors_total",
            "Failed prediction requests, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.model_loaded = Gauge(
            "model_loaded", "1 when a model artifact is loaded", registry=self.registry
        )


def instrument(app: FastAPI, metrics: ServiceMetrics) -> None:
    """Time every request into ``metrics`` (a handler that crashes counts as a 500), count
    invalid requests as prediction errors, and serve ``GET /metrics`` for Prometheus."""

    @app.middleware("http")
    async def time_requests(request: Request, call_next):
        start = time.perf_counter()
        status = 500  # a handler that crashes answers 500: it still counts in the latency
        try:
            response = await call_next(request)
            status = response.status_code
        except Exception:
            metrics.errors.labels(kind="internal").inc()
            raise
        finally:
            route = getattr(request.scope.get("route"), "path", "unmatched")
            metrics.latency.labels(request.method, route, str(status)).observe(
                time.perf_counter() - start
            )
        return response

    @app.exception_handler(RequestValidationError)
    async def count_invalid_requests(request: Request, exc: RequestValidationError):
        metrics.errors.labels(kind="validation").inc()
        return await request_validation_exception_handler(request, exc)

    @app.get("/metrics", include_in_schema=False)
    def scrape() -> Response:
        """Prometheus scrape endpoint."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
