"""SQLAlchemy dialects of warehouses the tests compile SQL for but never connect to.

``dialect_or_skip("snowflake://", "snowflake-sqlalchemy")`` is the dialect, or a skip
naming the package when it is not installed; with ``DQ_REQUIRE_DIALECTS=1`` (set by
.ci/run) the skip is a failure. The Makefile installs the packages of
tests/requirements-compile.txt with ``--no-deps`` (docs/engines.md says why).
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

REQUIRE_VAR = "DQ_REQUIRE_DIALECTS"


def dialect_or_skip(url: str, package: str) -> Dialect:
    """The dialect of ``url``'s name, or a skip (a failure with DQ_REQUIRE_DIALECTS=1)."""
    try:
        return sa.engine.make_url(url).get_dialect()()
    except (sa.exc.NoSuchModuleError, ImportError) as error:
        reason = (f"{package} is not installed ({error}): pip install --no-deps -r "
                  f"tests/requirements-compile.txt (docs/engines.md)")
        if os.environ.get(REQUIRE_VAR) == "1":
            pytest.fail(f"{reason}; {REQUIRE_VAR}=1 makes this a failure")
        pytest.skip(reason)
