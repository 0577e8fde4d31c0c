"""Spark warehouse settings as URLs, and the process's shared session."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from monitor.config.models import WarehouseConfig
from monitor.spark.session import SparkSettings, session_settings, spark_session, spark_url
from tests.helpers.spark import SETTINGS


class TestSparkUrl:
    def test_settings_round_trip_through_the_url(self) -> None:
        settings = {"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": "4",
                                                   "spark.executor.memory": "2g"}}

        assert session_settings(spark_url(settings)) == {"remote": None, **settings}

    def test_a_warehouse_with_spark_settings_gets_their_url(self) -> None:
        config = WarehouseConfig.model_validate({"spark": {"remote": "sc://localhost:15002"}})

        assert config.url == "spark:///?remote=sc%3A%2F%2Flocalhost%3A15002"

    def test_a_plain_spark_url_works_too(self) -> None:
        assert WarehouseConfig(url="spark://").url == "spark://"


class TestSparkSettings:
    def test_master_and_remote_exclude_each_other(self) -> None:
        with pytest.raises(ValidationError, match="not both"):
            SparkSettings(master="local[2]", remote="sc://h:15002")

    def test_remote_must_be_a_connect_url(self) -> None:
        with pytest.raises(ValidationError, match="sc://host:15002"):
            WarehouseConfig.model_validate({"spark": {"remote": "http://h:15002"}})


class TestSparkSession:
    def test_one_session_per_process(self, spark: Any) -> None:
        assert spark_session(**SETTINGS) is spark
        assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
