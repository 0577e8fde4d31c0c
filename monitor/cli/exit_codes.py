"""The exit-code contract of every command, in one place.

=====  ===============================================================
code   meaning
=====  ===============================================================
0      ok: the command did its job and, where it judges data, found
       nothing that fails (warnings are reported, they do not fail)
1      checks ran and failed: a critical finding in ``run``, a failed
       critical expectation (``validate``), a gate that blocks (``gate``,
       ``ingest``), a table overdue or failing (``status``)
2      nothing could be judged: bad input, configuration or
       infrastructure (warehouse, metric store, Slack down); the message
       names the file, key or object
3      a bug in dq-monitor
130    interrupted (Ctrl+C)
=====  ===============================================================

When one invocation meets several outcomes (``run`` over many tables) the
highest code wins. Commands map their outcome through the functions here;
errors map through ``MonitorError.exit_code`` in ``monitor.cli.main``.

>>> import datetime as dt
>>> from monitor.run.state import RunResult
>>> at = dt.datetime(2026, 3, 4, 11)
>>> ok = RunResult("orders", "r1", "success", at, 1.0)
>>> down = RunResult("events", "r2", "failed", at, 1.0, error_kind="WarehouseUnavailable")
>>> int(for_runs([ok])), int(for_runs([ok, down]))
(0, 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from monitor.errors import ExitCode, MonitorError
from monitor.run.findings import SEVERITY_ORDER, Finding

if TYPE_CHECKING:
    from monitor.run.state import RunResult

FailOn = Literal["critical", "warning", "never"]
FAIL_ON: tuple[FailOn, ...] = ("critical", "warning", "never")


def worst(codes: Iterable[int]) -> ExitCode:
    """The code of several outcomes: the highest (``OK`` for none)."""
    return ExitCode(max(codes, default=ExitCode.OK))


def for_error(error: BaseException) -> ExitCode:
    """An exception as an exit code: ``MonitorError`` says its own, anything else is a bug."""
    if isinstance(error, MonitorError):
        return ExitCode(error.exit_code)
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.BUG


def fails(finding: Finding, fail_on: FailOn = "critical") -> bool:
    """True when a failing finding fails the command under ``fail_on``."""
    if not finding.failing or fail_on == "never":
        return False
    return SEVERITY_ORDER.get(finding.severity, 9) <= SEVERITY_ORDER[fail_on]


def for_run(result: RunResult, fail_on: FailOn = "critical") -> ExitCode:
    """One table's run: 2 when it could not run (config, warehouse or store) or part of
    its configuration is broken (a failing ``run`` finding: a suite that does not load),
    1 when it ran and found a problem of at least ``fail_on`` severity, else 0
    (``skipped`` included). A ``partial`` run (its profile is stored, a later step failed
    on a ``MonitorError``: infrastructure or config) is 2: part of it could not be judged."""
    if result.status in ("failed", "partial", "lost", "interrupted"):
        # Runs fail only on MonitorError (config or infrastructure); a bug is raised.
        return ExitCode.BAD_INPUT
    if any(f.failing and f.kind == "run" for f in result.found):
        return ExitCode.BAD_INPUT  # it ran, but part of its configuration is broken
    if any(fails(f, fail_on) for f in result.found):
        return ExitCode.FINDINGS
    return ExitCode.OK


def for_runs(results: Iterable[RunResult], fail_on: FailOn = "critical") -> ExitCode:
    """Several tables' runs: the worst of them."""
    return worst(for_run(r, fail_on) for r in results)


def for_verdict(passed: bool) -> ExitCode:
    """A judgement (validation, gate, status): 0 passed, 1 failed or blocked."""
    return ExitCode.OK if passed else ExitCode.FINDINGS
