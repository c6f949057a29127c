"""The benchmark harness still imports and its pure parts still work: the nginx
configuration it renders, the access log it parses, the true minimums it divides by,
the table rows it prints. Nothing here times anything (CI does not run benchmarks)."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path

import pytest

import sessionclient as sc
from benchmarks import __main__ as cli
from benchmarks import _limiter, haproxy_throttle, nginx_throttle
from benchmarks._common import (
    AUTH,
    Result,
    environment,
    fast_server,
    leaky_bucket_minimum,
    session_ref,
    sliding_window_minimum,
)


@pytest.mark.parametrize("name", cli.NAMES)
def test_every_benchmark_module_imports_and_has_run(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(module.run)


def _render(key: str, port: int = 18080, prefix: str = "/tmp/bench-x") -> str:
    return nginx_throttle.render_config(
        nginx_throttle.TEMPLATE.read_text(),
        prefix=prefix,
        port=port,
        variant=nginx_throttle.VARIANTS[key],
    )


def test_nginx_config_429_with_retry_after_only() -> None:
    conf = _render("a")
    assert "{{" not in conf
    assert "listen 127.0.0.1:18080;" in conf
    assert "limit_req_zone $binary_remote_addr zone=bench:1m rate=10r/s;" in conf
    assert "limit_req_status 429;" in conf
    assert '429 "1";' in conf  # Retry-After: 1 on the 429 only
    assert "error_page 4" not in conf
    assert "error_page 5" not in conf
    assert "access_log /tmp/bench-x/access.log bench;" in conf


def test_nginx_config_report_variant_serves_the_report_on_429() -> None:
    conf = _render("b")
    assert "error_page 429 /throttled.json;" in conf
    assert '429 "1";' in conf
    assert nginx_throttle.REPORT == {
        "currentRequests": 11,
        "maxRequests": 10,
        "periodInSeconds": 1,
        "limitType": "Rate",
    }


def test_nginx_config_503_without_retry_after() -> None:
    conf = _render("c")
    assert "limit_req_status 503;" in conf
    assert '503 "";' in conf  # an empty value: add_header sends no Retry-After
    assert "error_page 4" not in conf
    assert "error_page 5" not in conf


@pytest.mark.parametrize(("key", "burst"), [("d", ""), ("e", " burst=20 nodelay")])
def test_nginx_config_bare_429_as_nginx_sends_it(key: str, burst: str) -> None:
    conf = _render(key)
    assert "limit_req_status 429;" in conf
    assert '429 "";' in conf  # no Retry-After: nginx's default
    assert f"limit_req zone=bench{burst};" in conf
    assert "error_page 4" not in conf


def test_nginx_config_refuses_an_unfilled_placeholder() -> None:
    with pytest.raises(ValueError, match="unfilled placeholder"):
        nginx_throttle.render_config(
            "listen {{port}}; {{unknown}}",
            prefix="/p",
            port=1,
            variant=nginx_throttle.VARIANTS["a"],
        )


@pytest.mark.skipif(nginx_throttle.nginx_binary() is None, reason="nginx is not installed")
@pytest.mark.parametrize("key", sorted(nginx_throttle.VARIANTS))
def test_nginx_accepts_the_rendered_config(key: str, tmp_path: Path) -> None:
    binary = nginx_throttle.nginx_binary()
    assert binary is not None
    (tmp_path / "www").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(_render(key, prefix=str(tmp_path)))
    check = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_access_log_parsing_counts_statuses_and_skips_junk() -> None:
    log = (
        "1795614305.555 200 GET /serviceconfigs/x/sessiontemplates/lobby/sessions/y\n"
        "1795614305.556 429 GET /serviceconfigs/x/sessiontemplates/lobby/sessions/y\n"
        "\n"
        "garbage\n"
        "1795614305.557 429 GET /serviceconfigs/x/sessiontemplates/lobby/sessions/y\n"
        "1795614305.601 503 GET /serviceconfigs/x/sessiontemplates/lobby/sessions/y\n"
    )
    statuses = nginx_throttle.parse_access_log(log)
    assert statuses == {200: 1, 429: 2, 503: 1}


def test_true_minimum_counts_the_burst_admitted_at_t0() -> None:
    # 600 calls, 30 per 0.15 s: 20 bursts, the first at t=0, so 19 windows (not N/R = 3 s).
    assert sliding_window_minimum(600, [(30, 0.15), (100_000, 3.0)]) == pytest.approx(2.85)
    # A second, tighter window binds: 4 per 1 s and 6 per 10 s.
    assert sliding_window_minimum(7, [(4, 1.0), (6, 10.0)]) == pytest.approx(10.0)
    assert sliding_window_minimum(1, [(30, 0.15)]) == 0.0
    # nginx, no burst: the first call at once, then one per 100 ms.
    assert leaky_bucket_minimum(200, 10) == pytest.approx(19.9)
    assert leaky_bucket_minimum(200, 10, burst=5) == pytest.approx(19.4)


def test_a_row_is_met_only_by_its_median_and_shows_the_spread() -> None:
    row = Result.of("overhead", "case", [1.05, 1.20, 1.30], "x raw", target="<= 1.1", met=False)
    assert row.value == pytest.approx(1.20)
    assert "1.200 [1.050-1.300] x raw" in row.row()
    assert "| MISSED |" in row.row()
    assert Result("b", "c", float("nan"), "x", note="not run").figure() == "n/a"


def test_environment_names_the_http_stack() -> None:
    machine = environment()
    for name in ("python", "cpus", "httpx", "httpcore", "anyio", "sniffio", "nginx"):
        assert name in machine


def test_repeat_must_be_positive() -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--repeat", "0"])
    assert exited.value.code == 2


def test_the_fast_server_answers_a_session_the_sdk_reads() -> None:
    with fast_server() as url, sc.SessionClient(url, auth=AUTH) as client:
        session = client.get(session_ref("smoke"))
    assert isinstance(session, sc.Session)
    assert session.custom_properties == {"map": "harbor", "round": 3}
    assert str(session.etag) == '"0000000000000001"'


def test_without_nginx_the_rows_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nginx_throttle, "nginx_binary", lambda: None)
    rows = list(nginx_throttle.run(quick=False))
    variants = len(nginx_throttle.VARIANTS)
    assert len(rows) == variants * 2 * 3 * 2  # x concurrencies x contenders x sync/async
    for row in rows:
        assert row.figure() == "n/a"
        assert "nginx not installed" in row.row()
        assert row.met is None


def _haproxy_config(port: int = 18081, backend_port: int = 18082) -> str:
    return haproxy_throttle.render_config(
        haproxy_throttle.TEMPLATE.read_text(), port=port, backend_port=backend_port
    )


def test_haproxy_config_denies_above_the_rate_with_a_bare_429() -> None:
    conf = _haproxy_config()
    assert "{{" not in conf
    assert "bind 127.0.0.1:18081" in conf
    assert "server fast 127.0.0.1:18082" in conf
    assert "store http_req_rate(1s)" in conf
    assert "deny deny_status 429 if { sc_http_req_rate(0) gt 10 }" in conf
    rules = [line for line in conf.lower().splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in rules if "retry-after" in line]  # HAProxy's own 429
    assert "log stdout" in conf
    assert "option dontlognull" in conf  # the port probe is not a request


@pytest.mark.skipif(haproxy_throttle.haproxy_binary() is None, reason="HAProxy is not installed")
def test_haproxy_accepts_the_rendered_config(tmp_path: Path) -> None:
    binary = haproxy_throttle.haproxy_binary()
    assert binary is not None
    conf = tmp_path / "haproxy.cfg"
    conf.write_text(_haproxy_config())
    check = subprocess.run(
        [binary, "-c", "-f", str(conf)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_haproxy_log_lines_are_counted_like_nginx_ones() -> None:
    # Lines as HAProxy 2.6 writes them with the template's log-format, and a warning
    # of its own on the same stream.
    log = (
        "1796652170.149 200 GET /serviceconfigs/x/sessiontemplates/lobby/sessions/y\n"
        "1796652170.163 429 GET /serviceconfigs/x/sessiontemplates/lobby/sessions/y\n"
        "[WARNING]  (5670) : config : missing timeouts for backend 'fast'.\n"
        "1796652170.180 429 GET /serviceconfigs/x/sessiontemplates/lobby/sessions/y\n"
    )
    assert _limiter.parse_access_log(log) == {200: 1, 429: 2}


def _run(ratio: float, requests: int, refused: int, raised: int, done: int = 200) -> Result:
    detail = {"calls": 200, "completed": done, "raised": raised, "requests": requests,
              "statuses": {200: requests - refused, 429: refused}}  # fmt: skip
    return Result("b", "c", ratio, "x min", detail=detail)


def test_a_repeated_row_is_met_only_if_its_worst_run_is() -> None:
    runs = [_run(1.10, 210, 10, 0), _run(1.20, 220, 20, 0), _run(1.15, 205, 5, 0)]
    row = _limiter.repeated("b", "c", runs, 429, (1.25, 0.10))
    assert (row.value, row.low, row.high, row.runs) == (1.15, 1.10, 1.20, 3)
    assert row.met is True
    assert "429: 2.4%-9.1% of requests (median 4.8%); raised 0-0 calls" in row.note
    one_raised = [*runs[:2], _run(1.15, 205, 5, 1)]
    assert _limiter.repeated("b", "c", one_raised, 429, (1.25, 0.10)).met is False
    too_many_refused = [*runs[:2], _run(1.15, 250, 50, 0)]
    assert _limiter.repeated("b", "c", too_many_refused, 429, (1.25, 0.10)).met is False
    cut = _limiter.repeated("b", "c", [*runs[:2], _run(3.0, 150, 5, 0, done=120)], 429, None)
    assert (cut.met, cut.target) == (None, "")
    assert "1 run(s) cut at the budget" in cut.note


def test_compare_interleaves_the_loads_and_targets_the_sdk_only() -> None:
    order: list[str] = []
    loads = [_limiter.Load(c, False, 200, 8) for c in (_limiter.SDK, _limiter.NAIVE)]

    def one(load: _limiter.Load) -> Result:
        order.append(load.contender)
        return _run(1.1, 200, 0, 0)

    rows = list(_limiter.compare("b", "label", loads, 3, one, 429, (1.25, 0.10)))
    sdk, naive = _limiter.SDK, _limiter.NAIVE
    assert order == [sdk, naive, naive, sdk, sdk, naive]
    assert [r.met for r in rows] == [True, None]
    assert rows[1].case == "label: naive tenacity back-off, sync, 200 calls at concurrency 8"


def test_only_takes_the_short_names(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    monkeypatch.setattr(importlib, "import_module", lambda name: ran.append(name) or _Empty)
    cli.main(["--only", "haproxy", "nginx", "--json", "/dev/null"])
    assert ran == ["benchmarks.haproxy_throttle", "benchmarks.nginx_throttle"]


class _Empty:
    @staticmethod
    def run(quick: bool = False) -> list[Result]:
        return []
