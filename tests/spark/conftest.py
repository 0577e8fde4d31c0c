"""Every test here runs on the tests' one Spark session (tests/helpers/spark.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.spark import shared_session


@pytest.fixture
def spark() -> Any:
    return shared_session()
