"""`tfp batch --dask`: the same batch on a Dask LocalCluster this test starts, two worker
processes, gives the local pool's outputs byte for byte (decisions and errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = sorted((ROOT / "fixtures" / "families").glob("*.json"))


def test_dask_outputs_equal_the_local_pools(tmp_path: Path) -> None:
    good = [json.dumps(json.loads(p.read_text())) for p in FAMILIES]
    lines = [good[i % len(good)] for i in range(1200)]  # several blocks of 512
    lines[7] = "not json"
    lines[900] = '{"family_ref": "BAD", "members": []}'
    facts = tmp_path / "in.jsonl"
    facts.write_text("\n".join(lines) + "\n")

    local = CliRunner().invoke(
        main, ["batch", str(facts), "--out", str(tmp_path / "local.jsonl"), "--workers", "2"]
    )
    assert local.exit_code == 1, local.output
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        remote = CliRunner().invoke(
            main,
            [
                "batch",
                str(facts),
                "--out",
                str(tmp_path / "dask.jsonl"),
                "--dask",
                cluster.scheduler_address,
            ],
        )
    assert remote.exit_code == 1, remote.output
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert (tmp_path / "dask.jsonl.errors.jsonl").read_bytes() == (
        tmp_path / "local.jsonl.errors.jsonl"
    ).read_bytes()
    assert "1200 families: 1198 decided, 2 invalid" in remote.stderr


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    facts = tmp_path / "in.jsonl"
    facts.write_text("{}\n")
    result = CliRunner().invoke(main, ["batch", str(facts), "--dask", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "Dask scheduler" in result.stderr
    assert "Traceback" not in result.output
