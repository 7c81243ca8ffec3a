"""Prometheus metrics for the service, kept in a registry owned by one app instance
(so two apps in one process, as in tests, never share counters)."""

from __future__ import annotations

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
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
