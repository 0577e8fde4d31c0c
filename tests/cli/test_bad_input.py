"""Broken configs and broken input files through the command line (``monitor.cli.main``).

Whatever a user gets wrong, the command exits 1 or 2 with a message naming the
file, key or line: never a traceback, never "internal error" (exit 3).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.cli import main

BASE: dict[str, Any] = {
    "store": "sqlite:///metrics.db",
    "warehouses": {"w": {"url": "sqlite:///wh.db", "query_timeout": "30s",
                         "connect_timeout": "5s"}},
    "default_schedule": "every 1h",
    "profiling": {"distinct": "auto", "lookback_buckets": 2, "max_retries": 0},
    "validation": {"unexpected_samples": 5},
    "scheduler": {"workers": 1, "misfire_grace": "5m"},
    "alerts": {"reminder_interval": "4h", "resolve_after_runs": 2},
    "tables": [{
        "name": "orders", "warehouse": "w", "table": "orders",
        "timestamp_column": "created_at", "bucket": "day", "schedule": "0 * * * *",
        "owners": ["@a"], "thresholds": {"freshness_sla": "26h", "max_null_rate": 0.5},
        "columns": {"amount": {"tags": ["pii"], "max_null_rate": 0.1}},
        "detection": {"volume": {"sensitivity": "high"}},
        "distribution_columns": ["amount"],
    }],
}

#: Values people really write by mistake, and anything else YAML can hold.
BAD_WORDS = ["notaurl", "not a url", "foodb://x/y", "sqlite:////proc/x/m.db", "61 * * * *",
             "999999d", "-5m", "every 0s", "extreme", "${DQ_FUZZ_UNSET}", "postgresql://h:x/d",
             "", " ", "sqlite:///", "0 25 * * *", "2026-13-45", "[", "hour", "day"]
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(BAD_WORDS),
    st.text(max_size=20), st.lists(st.sampled_from([*BAD_WORDS, "amount", "x"]), max_size=3),
    st.dictionaries(st.sampled_from(["url", "x", "name", "sensitivity"]),
                    st.sampled_from(BAD_WORDS), max_size=2),
)


def key_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the base config (mapping keys and list indexes)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += key_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += key_paths(value, (*prefix, i))
    return out


PATHS = key_paths(BASE)


def mutated(path: tuple[Any, ...], action: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    parent = raw
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent, dict):  # "add": an unknown key beside it
        parent[f"{last}_typo"] = value
    else:
        parent.append(value)
    return raw


def setup(folder: Path) -> None:
    """The warehouse the base config names, with a real table."""
    engine = sa.create_engine(f"sqlite:///{folder / 'wh.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE orders (id INTEGER, amount REAL, created_at TEXT)"))
        conn.execute(sa.text("INSERT INTO orders VALUES (1, 2.5, '2026-05-01 10:00:00'), "
                             "(2, NULL, '2026-05-02 11:00:00')"))
    engine.dispose()


def call(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def assert_clean(code: int, output: str, *, names: str) -> None:
    assert code in (0, 1, 2), (code, output)
    assert "Traceback" not in output
    assert "internal error" not in output
    assert "This is a bug" not in output
    if code == 2:
        # The file, or (for a table that could not run) the table it could not read: the
        # entry's name, or the warehouse table it points at when that one is missing.
        assert names in output or "table '" in output, output


class TestBrokenConfigs:
    @given(path=st.sampled_from(PATHS), action=st.sampled_from(["replace", "delete", "add"]),
           value=VALUES)
    @example(path=("warehouses", "w"), action="replace", value="notaurl")
    @example(path=("tables", 0, "table"), action="replace", value="notaurl")
    @example(path=("warehouses", "w", "query_timeout"), action="replace", value=float("inf"))
    @example(path=("warehouses", "w", "query_timeout"), action="replace", value=float("nan"))
    @example(path=("warehouses", "w", "query_timeout"), action="replace", value="999999d")
    @example(path=("store",), action="replace", value="sqlite:////proc/x/m.db")
    @example(path=("store",), action="replace", value="sqlite:///")
    @example(path=("tables", 0, "schedule"), action="replace", value="61 * * * *")
    @example(path=("tables", 0, "distribution_columns"), action="replace", value=["x"])
    @settings(max_examples=120, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_run_exits_1_or_2_naming_the_file(self, path: tuple[Any, ...], action: str,
                                             value: Any,
                                             capsys: pytest.CaptureFixture[str]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            setup(folder)
            config = folder / "monitor.yaml"
            config.write_text(yaml.safe_dump(mutated(path, action, value)), encoding="utf-8")

            code, output = call(["--config", str(config), "run"], capsys)

        assert_clean(code, output, names=str(config))

    @given(text=st.text(max_size=200))
    @example(text="warehouses: " + "[" * 3000 + "]" * 3000)
    @example(text="warehouses: {w: 'sqlite:///x.db'\ntables: [\n")
    @example(text="- just\n- a list\n")
    @example(text="store: !!python/object:os.system ls\n")
    @settings(max_examples=80, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_any_text_is_a_config_or_a_config_error(self, text: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "monitor.yaml"
            config.write_text(text, encoding="utf-8")

            code, output = call(["--config", str(config), "status"], capsys)

        assert_clean(code, output, names=str(config))

    def test_yaml_errors_name_the_line(self, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        config = tmp_path / "monitor.yaml"
        config.write_text("store: sqlite:///m.db\nwarehouses: {w: 'x'\ntables: [\n")

        code, output = call(["--config", str(config), "status"], capsys)

        assert code == 2
        assert f"{config}: not valid YAML at line " in output


ORDERS_CSV = "id,amount,created_at\n1,2.5,2026-05-01T10:00:00\n2,3.5,2026-05-02T11:00:00\n"


@pytest.fixture
def ingest_config(tmp_path: Path) -> Path:
    setup(tmp_path)
    config = tmp_path / "monitor.yaml"
    config.write_text(yaml.safe_dump({
        "store": "sqlite:///metrics.db", "warehouses": {"w": "sqlite:///wh.db"},
        "tables": [{"name": "orders", "warehouse": "w", "table": "orders"}]}))
    return config


class TestBrokenIngestFiles:
    @pytest.mark.parametrize(("name", "content", "where"), [
        ("extra_field.csv", ORDERS_CSV + "3,4.5,2026-05-03T00:00:00,surplus\n", "line 4"),
        ("short_row.csv", ORDERS_CSV + "3\n", "line 4"),
        ("truncated.jsonl",
         '{"id": 1, "amount": 2.5, "created_at": "2026-05-01T10:00:00"}\n{"id": 2, "amou',
         "line 2"),
        ("not_an_object.jsonl", '{"id": 1}\n[1, 2]\n', "line 2"),
        ("fake.parquet", "id,amount\n1,2\n", "fake.parquet"),
        ("empty.csv", "", "empty.csv"),
        ("other_columns.csv", "zzz\n1\n", "none of its columns ('zzz') is a column of orders"),
        ("latin1.csv", "id,amount,created_at\n1,2.5,caf\xe9\n", "latin1.csv"),
    ])
    def test_a_broken_file_is_exit_2_naming_the_file_and_line(
            self, ingest_config: Path, tmp_path: Path, name: str, content: str, where: str,
            capsys: pytest.CaptureFixture[str]) -> None:
        batch = tmp_path / name
        batch.write_bytes(content.encode("latin-1" if name == "latin1.csv" else "utf-8"))

        code, output = call(["--config", str(ingest_config), "ingest", str(batch), "--into",
                             "orders"], capsys)

        assert code == 2, output
        assert name in output
        assert where in output
        assert_clean(code, output, names=name)

    @given(content=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".jsonl",
                                                                    ".parquet"]))
    @example(content=b"PAR1" + b"\x00" * 20 + b"PAR1", suffix=".parquet")
    @example(content=b"\x00\n\x00", suffix=".csv")  # no column of the target: was a bug
    @example(content=json.dumps({"id": 1}).encode() + b"\n\xff\xfe", suffix=".jsonl")
    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_any_bytes_are_ingested_or_refused_cleanly(
            self, ingest_config: Path, content: bytes, suffix: str,
            capsys: pytest.CaptureFixture[str]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            name = f"batch-{dt.datetime.now(dt.UTC):%H%M%S%f}{suffix}"
            batch = Path(tmp) / name
            batch.write_bytes(content)

            code, output = call(["--config", str(ingest_config), "ingest", str(batch),
                                 "--into", "orders"], capsys)

        assert_clean(code, output, names=name)

    @given(header=st.lists(st.sampled_from(["id", "amount", "created_at", "ID", "extra", ""]),
                           min_size=1, max_size=5),
           rows=st.lists(st.lists(st.one_of(st.sampled_from(["", "1", "2.5", "-0", "nan",
                                                             "inf", "2026-05-01", "x"]),
                                            st.text(max_size=8)), max_size=6), max_size=8))
    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    def test_any_csv_with_the_target_s_columns_is_ingested_or_refused_cleanly(
            self, ingest_config: Path, header: list[str], rows: list[list[str]],
            capsys: pytest.CaptureFixture[str]) -> None:
        text = io.StringIO()
        csv.writer(text).writerows([header, *rows])
        with tempfile.TemporaryDirectory() as tmp:
            batch = Path(tmp) / f"batch-{dt.datetime.now(dt.UTC):%H%M%S%f}.csv"
            batch.write_text(text.getvalue(), encoding="utf-8")

            code, output = call(["--config", str(ingest_config), "ingest", str(batch),
                                 "--into", "orders", "--mode", "publish_good"], capsys)

        assert_clean(code, output, names=batch.name)
