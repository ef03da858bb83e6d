"""SIGTERM handling and the Prometheus endpoint."""

from __future__ import annotations

import asyncio
import os
import signal
import socket

from core.ports import Repositories
from scheduler import install_signal_handlers, remove_signal_handlers
from scheduler.pipeline import unpack_state
from tests.scheduler.conftest import RuntimeMaker, next_bar
from tests.scheduler.fakes import FakeMarket


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _get(port: int, path: str) -> tuple[str, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    raw = (await reader.read()).decode()
    writer.close()
    await writer.wait_closed()
    head, _, body = raw.partition("\r\n\r\n")
    return head.split("\r\n")[0], body


async def test_sigterm_finishes_the_running_job_and_saves_state(
    seeded: Repositories, make_runtime: RuntimeMaker
) -> None:
    market = FakeMarket(seeded, delay=0.3)
    rt = make_runtime(market=market)
    loop = asyncio.get_running_loop()
    stopped = install_signal_handlers(rt, loop)
    try:
        rt.start()
        await rt.ready()
        market.queued["AAA"] = [next_bar(seeded, "AAA", 140.0)]
        await rt.run_job("finalise_bars.us")
        job = asyncio.create_task(rt.run_job("update_prices.us"))
        await asyncio.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(stopped.wait(), 10)
        assert job.done()
        assert job.result().outcome == "ok"
        assert rt.scheduler is None
        blob = await seeded.state.get_state(rt.pipeline.state_key)
        assert blob is not None
        last_ts, _ = unpack_state(blob)
        assert last_ts["AAA"] == next_bar(seeded, "AAA", 0.0).ts
    finally:
        remove_signal_handlers(loop)


async def test_metrics_endpoint_serves_prometheus_text(
    seeded: Repositories, make_runtime: RuntimeMaker
) -> None:
    port = _free_port()
    rt = make_runtime(metrics_port=port)
    rt.start()
    await rt.run_job("update_prices.us")
    for _ in range(100):
        try:
            status, body = await _get(port, "/metrics")
            break
        except OSError:
            await asyncio.sleep(0.02)
    assert status.endswith("200 OK")
    assert 'finsignal_job_last_success{job="update_prices.us"} 1.0' in body
    assert "finsignal_outbox_pending 0.0" in body
    assert "finsignal_process_resident_memory_bytes" in body
    status, body = await _get(port, "/health")
    assert '"outbox_pending": 0' in body
    status, _ = await _get(port, "/nope")
    assert "404" in status
    await rt.stop()
    try:
        await _get(port, "/metrics")
        raise AssertionError("the endpoint still answers after stop()")
    except OSError:
        pass


def test_prometheus_text_escapes_label_values() -> None:
    from scheduler.health import prometheus_text

    report = {
        "jobs": [{"job": 'odd"job\\', "duration_s": 1.5, "outcome": "ok"}],
        "sources": [{"source": "krx", "ok": 3, "failed": 1, "latency_ms": None, "breaker": "open"}],
        "process": {"cpu_percent": 2.0, "rss_mb": 100.0},
    }
    text = prometheus_text(report)
    assert 'finsignal_job_duration_seconds{job="odd\\"job\\\\"} 1.5' in text  # a hand-written line broke here
    assert 'finsignal_source_requests_total{outcome="failed",source="krx"} 1.0' in text
    assert 'finsignal_source_breaker_open{source="krx"} 1.0' in text
    assert "# TYPE finsignal_source_requests_total counter" in text
