"""Structured request logs: one JSON object per line on stderr.

A log platform (Loki, CloudWatch, Cloud Logging, Datadog...) can filter and count JSON fields,
not sentences: "all 5xx of model version X in the last hour" is one query. Every request gets
an id, taken from the caller's ``X-Request-ID`` when it is a safe token (so one request can be
followed across services) or made here, and sent back in the response header.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import IO, Any

from fastapi import FastAPI, Request, Response
from pythonjsonlogger.json import JsonFormatter

LOGGER = "service.requests"
# A caller-supplied id is logged only when it cannot forge log lines or fields.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def configure_logging(
    level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None
) -> logging.Logger:
    """Send the service's logs to ``stream`` (stderr), as JSON lines or as plain text."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger(LOGGER)
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False
    return logger


def request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given if SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def add_request_logging(app: FastAPI) -> None:
    """Log one line per request: id, method, route, status, duration, model version."""
    logger = logging.getLogger(LOGGER)

    @app.middleware("http")
    async def log_requests(request: Request, call_next: Any) -> Response:
        rid, start, status = request_id(request), time.perf_counter(), 500
        try:
            response: Response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = rid
            return response
        finally:
            route = getattr(request.scope.get("route"), "path", request.url.path)
            predictor = getattr(request.app.state, "predictor", None)
            logger.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "request",
                extra={
                    "request_id": rid,
                    "method": request.method,
                    "route": route,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    "model_version": getattr(predictor, "version", None),
                },
            )
