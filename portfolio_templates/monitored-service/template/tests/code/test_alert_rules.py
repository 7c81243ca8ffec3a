"""The alert rules: every alert names a runbook section that exists, and the alerts a
service needs are there (down, not loaded, errors, latency; drift when there is a drift job)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _rules():
    groups = yaml.safe_load((ROOT / "monitoring" / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_the_alerts_a_service_needs_exist():
    names = {rule["alert"] for rule in _rules()}
    assert {"ServiceDown", "ModelNotLoaded", "HighErrorRate", "HighLatencyP95"} <= names
    if any((ROOT / "src").glob("*/drift.py")):  # a service with a drift job alerts on drift
        assert "FeatureDrift" in names


def test_every_alert_links_to_a_runbook_section_that_exists():
    headings = {
        re.sub(r"[^a-z0-9]", "", line[3:].lower())
        for line in (ROOT / "RUNBOOK.md").read_text().splitlines()
        if line.startswith("## ")
    }
    for rule in _rules():
        anchor = rule["annotations"]["runbook"].split("#")[1]
        assert anchor in headings, (rule["alert"], anchor)


def test_service_down_watches_the_scrape_job():
    [rule] = [r for r in _rules() if r["alert"] == "ServiceDown"]
    job = yaml.safe_load((ROOT / "monitoring" / "prometheus.yml").read_text())["scrape_configs"][0][
        "job_name"
    ]
    assert rule["expr"] == f'up{{job="{job}"}} == 0'


PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    not PROMTOOL and os.environ.get("REQUIRE_PROMTOOL") != "1",
    reason="promtool not installed (Debian/Ubuntu: apt install prometheus); CI installs it",
)


def _promtool(*args):
    assert PROMTOOL, "REQUIRE_PROMTOOL=1 but promtool is not on PATH"
    return subprocess.run([PROMTOOL, *args], cwd=ROOT, capture_output=True, text=True, check=False)


@needs_promtool
def test_promtool_accepts_the_rules_and_the_config():
    for args in (
        ["check", "rules", "monitoring/alerts.yml"],
        ["check", "config", "monitoring/prometheus.yml"],
    ):
        result = _promtool(*args)
        assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_the_alerts_fire_when_they_should_and_not_before():
    result = _promtool("test", "rules", "monitoring/alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
