"""The Spark session of a ``spark`` warehouse: one per process and settings.

A JVM holds one SparkContext, so every classic (``master``) warehouse of a
process shares one session; a Spark Connect warehouse (``remote``) has one
session per server. Without either, the session already active in the process
is used (dq-monitor called from a Spark job or a notebook), else a local one.

>>> spark_url({"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": "4"}})
'spark:///?master=local%5B2%5D&spark.sql.shuffle.partitions=4'
>>> session_settings(spark_url({"remote": "sc://localhost:15002"}))
{'master': None, 'remote': 'sc://localhost:15002', 'conf': {}}
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Settings of sessions dq-monitor starts (a ``conf`` entry overrides them). Times are
#: UTC, so buckets start at UTC hours as on the other engines.
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.ui.enabled": "false",
}

_SESSIONS: dict[str, Any] = {}
_LOCK = threading.Lock()


class SparkSettings(BaseModel):
    """``warehouses: {lake: {spark: {...}}}``: a local or cluster master, or a Connect server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str | None = None  # local[2], spark://host:7077, yarn, ...
    remote: str | None = None  # sc://host:15002 (Spark Connect)
    conf: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_kind(self) -> SparkSettings:
        if self.master and self.remote:
            raise ValueError("set 'master' (a Spark cluster or local[n]) or 'remote' "
                             "(a Spark Connect server, sc://host:15002), not both")
        if self.remote and not self.remote.startswith("sc://"):
            raise ValueError(f"'remote' must be a Spark Connect URL such as "
                             f"'sc://host:15002', got {self.remote!r}")
        return self


def spark_url(settings: Mapping[str, Any] | SparkSettings) -> str:
    """The ``spark://`` SQLAlchemy URL that carries these settings."""
    if not isinstance(settings, SparkSettings):
        settings = SparkSettings.model_validate(settings)
    query: dict[str, str] = {}
    if settings.master:
        query["master"] = settings.master
    if settings.remote:
        query["remote"] = settings.remote
    query.update(settings.conf)
    return "spark:///" + (f"?{urllib.parse.urlencode(query)}" if query else "")


def session_settings(url: Any) -> dict[str, Any]:
    """``master``, ``remote`` and ``conf`` from a ``spark://`` URL (a string or a URL)."""
    import sqlalchemy as sa

    query = dict(sa.engine.make_url(url).query)
    master = query.pop("master", None)
    remote = query.pop("remote", None)
    return {"master": master, "remote": remote,
            "conf": {k: v if isinstance(v, str) else v[-1] for k, v in query.items()}}


def spark_session(*, master: str | None = None, remote: str | None = None,
                  conf: Mapping[str, str] | None = None) -> Any:
    """The process's session for these settings, started on first use (20-30 s)."""
    from pyspark.sql import SparkSession

    key = f"remote={remote}" if remote else "classic"
    with _LOCK:
        session = _SESSIONS.get(key)
        if session is not None and not _stopped(session):
            return session
        if not remote and not master and not conf:
            active = SparkSession.getActiveSession()
            if active is not None:
                _SESSIONS[key] = active
                return active
        if remote:
            # Connect's own builder: the generic one refuses a remote session in a
            # process that already runs a classic one.
            from pyspark.sql.connect.session import SparkSession as RemoteSession

            builder = RemoteSession.builder.remote(remote)
        else:
            builder = SparkSession.builder.appName("dq-monitor").master(master or "local[*]")
        settings = {**({} if remote else DEFAULT_CONF), **dict(conf or {})}
        if remote:
            settings.setdefault("spark.sql.session.timeZone", "UTC")
        for name, value in settings.items():
            builder = builder.config(name, value)
        session = builder.getOrCreate()
        _SESSIONS[key] = session
        return session


def _stopped(session: Any) -> bool:
    try:
        if type(session).__module__.startswith("pyspark.sql.connect"):
            return bool(getattr(session, "is_stopped", False))
        return session.sparkContext._jsc is None
    except Exception:  # noqa: BLE001 - a session that cannot say is gone
        return True
