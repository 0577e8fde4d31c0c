"""Everything one process needs to monitor: config, store, warehouses, clock.

>>> from monitor.config.models import parse_config
>>> ctx = MonitorContext(parse_config({"store": "sqlite:///:memory:", "warehouses": {}}))
>>> ctx.store.url
'sqlite:///:memory:'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from monitor.config.models import MonitorConfig, TableConfig
from monitor.errors import ConfigError
from monitor.lake import attach_sources
from monitor.timeutil import utcnow
from monitor.warehouse import SqlWarehouse

if TYPE_CHECKING:
    from monitor.store import SqlMetricStore


class MonitorContext:
    """Lazily opened resources shared by the runs of one process."""

    def __init__(self, config: MonitorConfig, *, clock: Callable[[], dt.datetime] = utcnow,
                 store: SqlMetricStore | None = None, read_only: bool = False) -> None:
        self.config = config
        self.clock = clock
        self.read_only = read_only
        self._store = store
        self._warehouses: dict[str, SqlWarehouse] = {}

    @property
    def store(self) -> SqlMetricStore:
        if self._store is None:
            from monitor.store import open_store

            try:
                self._store = open_store(self.config.resolve_url(self.config.store),
                                         read_only=self.read_only)
            except ConfigError as error:  # a file that cannot be created, ...
                raise ConfigError(f"{self.config.source}: store: {error}") from None
        return self._store

    def warehouse(self, name: str) -> SqlWarehouse:
        """The warehouse called ``name`` in the config."""
        if name not in self._warehouses:
            try:
                cfg = self.config.warehouses[name]
            except KeyError:
                raise ConfigError(f"{self.config.source}: unknown warehouse {name!r}") from None
            cfg = cfg.model_copy(update={"url": self.config.resolve_url(cfg.url)})
            warehouse = SqlWarehouse(name, cfg)
            attach_sources(warehouse, self.config.tables)  # views of file tables
            self._warehouses[name] = warehouse
        return self._warehouses[name]

    def warehouse_for(self, table: TableConfig) -> SqlWarehouse:
        return self.warehouse(table.warehouse)

    def now(self) -> dt.datetime:
        return self.clock()
