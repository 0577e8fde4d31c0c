"""``batches``, ``quarantine`` and ``sample-batches`` (``gate`` and ``ingest`` exit codes are
tested beside their modules)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from monitor.cli import main
from monitor.demo.sample import build_sample_warehouse

REPO = Path(__file__).resolve().parents[2]


def _config(tmp: Path) -> list[str]:
    build_sample_warehouse(tmp / "sample.db", days=14, incidents=False)
    raw = yaml.safe_load((REPO / "config" / "monitor.yaml").read_text())
    raw["warehouses"]["sample"] = "sqlite:///sample.db"
    raw["store"] = "sqlite:///metrics.db"
    raw["expectations_dir"] = str(REPO / "expectations")
    (tmp / "monitor.yaml").write_text(yaml.safe_dump(raw))
    return ["--config", str(tmp / "monitor.yaml")]


def test_the_sample_scenario_from_the_command_line(tmp_path: Path, capsys) -> None:
    base = _config(tmp_path)

    assert main([*base, "sample-batches"]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "batches"
    assert "orders_good.csv" in out
    assert (folder / "orders_good.csv").exists()

    assert main([*base, "ingest", str(folder / "orders_good.csv"), "--into", "orders"]) == 0
    assert "published 900" in capsys.readouterr().out
    assert main([*base, "ingest", str(folder / "orders_null_spike.csv"), "--into", "orders",
                 "--mode", "publish_good", "--format", "json"]) == 0
    spike = json.loads(capsys.readouterr().out)
    assert spike["status"] == "partially_published"
    assert spike["gate"]["verdict"] == "pass"

    assert main([*base, "batches", "orders", "--format", "json"]) == 0
    batches = json.loads(capsys.readouterr().out)
    assert [b["status"] for b in batches] == ["partially_published", "published"]

    assert main([*base, "quarantine", "orders", "--batch", batches[0]["batch_id"][:12],
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows
    assert all(r["customer_id"] is None for r in rows)
    assert all("values_to_not_be_null(customer_id)" in r["dq_reason"] for r in rows)

    assert main([*base, "quarantine", "orders"]) == 0
    assert "pii columns hidden" in capsys.readouterr().out


def test_sample_batches_needs_the_sample_first(tmp_path: Path, capsys) -> None:
    base = _config(tmp_path)
    (tmp_path / "sample.db").unlink()
    assert main([*base, "sample-batches"]) == 2
    assert "run `dq-monitor sample` first" in capsys.readouterr().err
