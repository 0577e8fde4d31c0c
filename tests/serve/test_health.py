"""The HTTP endpoint over real loopback HTTP, and the service's probes on real stores."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter

from monitor.config.models import parse_config
from monitor.errors import ConfigError
from monitor.serve.health import HealthServer, Probe
from monitor.serve.service import LOOP_STALL, Service
from tests.helpers.postgres import temporary_database
from tests.helpers.serve import database_down


def get(port: int, path: str) -> tuple[int, str, str]:
    """Status, content type and body of a GET on loopback."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


@pytest.fixture
def server() -> Iterator[HealthServer]:
    registry = CollectorRegistry()
    Counter("dq_monitor_things", "Things.", registry=registry).inc(3)

    def broken() -> Probe:
        raise RuntimeError("probe bug")

    made = HealthServer(registry, live=lambda: Probe(True, {"pid": 1}), ready=broken, port=0,
                        host="127.0.0.1")
    made.start()
    yield made
    made.stop()


class TestHealthServer:
    def test_serves_metrics_and_the_live_probe(self, server: HealthServer) -> None:
        metrics = get(server.port, "/metrics")
        live = get(server.port, "/healthz")

        assert metrics[0] == 200
        assert metrics[1].startswith("text/plain")
        assert "dq_monitor_things_total 3.0" in metrics[2]
        assert live[:2] == (200, "application/json")
        assert json.loads(live[2]) == {"alive": True, "pid": 1}

    def test_a_probe_that_raises_answers_503_and_unknown_paths_404(
            self, server: HealthServer) -> None:
        ready = get(server.port, "/readyz")
        unknown = get(server.port, "/metricz")

        assert ready[0] == 503
        assert json.loads(ready[2]) == {"ready": False, "error": "RuntimeError: probe bug"}
        assert unknown[0] == 404
        assert "/healthz" in unknown[2]

    def test_answers_concurrent_requests_and_stops(self, server: HealthServer) -> None:
        import concurrent.futures

        port = server.port
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: get(port, "/healthz")[0], range(32)))
        server.stop()

        assert codes == [200] * 32
        with pytest.raises(urllib.error.URLError), \
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
            pass

    def test_a_taken_port_is_an_oserror(self, server: HealthServer) -> None:
        second = HealthServer(CollectorRegistry(), live=lambda: Probe(True),
                              ready=lambda: Probe(True), port=server.port, host="127.0.0.1")

        with pytest.raises(OSError, match="in use"):
            second.start()


def service_on(store_url: str, tmp_path: Path, **scheduler: object) -> Service:
    config = parse_config({"store": store_url, "warehouses": {}, "tables": [],
                           "scheduler": {"metrics_host": "127.0.0.1", **scheduler}},
                          base_dir=tmp_path)
    return Service(config)


class TestServiceProbes:
    def test_ready_only_between_start_and_stop(self, tmp_path: Path) -> None:
        service = service_on(f"sqlite:///{tmp_path / 'm.db'}", tmp_path)

        before = service.readiness()
        service.start()
        during = service.readiness()
        service.stop(grace=1)
        after = service.readiness()
        service.store.dispose()

        assert (before.ok, before.details["scheduler"]) == (False, "not started")
        assert (during.ok, during.details) == (True, {"store": "ok", "scheduler": "running",
                                                      "leader": True})
        assert (after.ok, after.details["scheduler"]) == (False, "stopping")

    def test_alive_until_the_serve_loop_stalls(self, tmp_path: Path) -> None:
        service = service_on(f"sqlite:///{tmp_path / 'm.db'}", tmp_path)

        fresh = service.liveness()
        service._last_tick = time.monotonic() - LOOP_STALL - 1  # the loop hangs
        stalled = service.liveness()
        service.store.dispose()

        assert fresh.ok
        assert fresh.details["pid"] > 0
        assert not stalled.ok

    def test_a_taken_metrics_port_stops_the_start_as_a_config_error(
            self, tmp_path: Path) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            service = service_on(f"sqlite:///{tmp_path / 'm.db'}", tmp_path,
                                 metrics_port=taken.getsockname()[1])
            with pytest.raises(ConfigError, match="cannot serve metrics on 127.0.0.1:"):
                service.start()
        # the store lock was given back: another service may start
        again = service_on(f"sqlite:///{tmp_path / 'm.db'}", tmp_path)
        again.start()
        again.stop(grace=1)
        for s in (service, again):
            s.store.dispose()

    @pytest.mark.postgres
    def test_a_store_that_is_down_makes_the_service_not_ready(self, tmp_path: Path) -> None:
        with temporary_database("dq_store") as url:
            service = service_on(url, tmp_path, metrics_port=0)
            service.start()
            assert service.http is not None
            port = service.http.port
            up = get(port, "/readyz")
            with database_down(url):
                down = get(port, "/readyz")
                live = get(port, "/healthz")
            service.stop(grace=1)
            service.store.dispose()
        assert up[0] == 200
        assert down[0] == 503
        assert json.loads(down[2])["store"].startswith("unreachable")
        assert live[0] == 200
