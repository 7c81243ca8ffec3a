"""The three projects connect: the prediction API serves the model the training pipeline
promoted, fetched through the MLflow registry alias, checked against its checksum, and answered
by a real uvicorn server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from autograder.portfolio import new_project

pytestmark = pytest.mark.xdist_group("portfolio-connect")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true",
           "PYTHONPATH": str(cwd / "src")}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_the_api_serves_the_pipeline_champion_from_the_registry(tmp_path):
    pipeline = new_project(kind="training-pipeline", dest=tmp_path / "pipeline",
                           author="Test Author", problem="flight-delays")
    api = new_project(kind="prediction-api", dest=tmp_path / "api", author="Test Author",
                      problem="flight-delays")
    trained = _run([sys.executable, "-m", _package(pipeline), "train"], pipeline)
    champion = (pipeline / "artifacts" / "LATEST").read_text().strip()
    assert champion in trained.stdout

    artifact = api / "artifacts" / "model"
    _run([sys.executable, "-m", f"{_package(api)}.fetch_model", "--tracking-uri",
          f"sqlite:///{pipeline / 'mlflow.db'}", "--model", "flight-delays", "--alias",
          "champion", "--output", str(artifact)], api)
    metadata = json.loads((artifact / "metadata.json").read_text())
    assert metadata["version"] == champion
    assert metadata["git_commit"]  # the pipeline's own first commit trained it

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", f"{_package(api)}.app:create_app",
         "--port", str(port)], cwd=api, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(api / "src"),
             "API_ARTIFACT_DIR": str(artifact)})
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                health = _get(f"{base}/health")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(server.stdout.read().decode() if server.stdout else "no server")
        assert health["model_version"] == champion
        schema = _get(f"{base}/openapi.json")
        example = _example(schema)
        answer = _get(f"{base}/predict", example)
        assert answer["model_version"] == champion
        assert 0.0 <= answer["probability_late"] <= 1.0
    finally:
        server.terminate()
        server.wait(timeout=10)


def _package(project: Path) -> str:
    return next(p.name for p in (project / "src").iterdir() if (p / "__init__.py").is_file())


def _example(schema: dict) -> dict:
    """The request example the API documents for /predict."""
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    if "example" in body:
        return body["example"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
    component = schema["components"]["schemas"][ref]
    return component["examples"][0]
