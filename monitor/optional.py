"""Optional dependencies: the extra that installs each, and a clear error when one is missing.

``pip install dq-monitor`` installs what every run needs (SQLAlchemy, pandas, the detectors,
Slack, the scheduler). Great Expectations, the Streamlit dashboard and DuckDB come with
extras: ``pip install 'dq-monitor[gx,dashboard,duckdb]'`` (``[dev]`` includes them all).
Code that needs one imports it where it is used; when it is absent, the import's
``ImportError`` becomes :class:`MissingExtra` (exit 2) naming the extra to install.

>>> print(MissingExtra.for_module("great_expectations", "validating with Great Expectations"))
validating with Great Expectations needs great-expectations, which is not installed: \
pip install 'dq-monitor[gx]'
>>> missing_extra(ModuleNotFoundError("No module named 'pandas'", name="pandas")) is None
True
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from monitor.errors import ConfigError

#: Top-level module -> (extra that installs it, its distribution name).
EXTRAS: dict[str, tuple[str, str]] = {
    "great_expectations": ("gx", "great-expectations"),
    "streamlit": ("dashboard", "streamlit"),
    "altair": ("dashboard", "altair"),
    "authlib": ("auth", "Authlib"),
    "httpx": ("auth", "httpx"),
    "duckdb": ("duckdb", "duckdb"),
    "duckdb_engine": ("duckdb", "duckdb-engine"),
    "pymysql": ("mysql", "PyMySQL"),
    "deltalake": ("lake", "deltalake"),
    "pyspark": ("spark", "pyspark"),
    "trino": ("cloud", "trino"),
    "sqlalchemy_redshift": ("cloud", "sqlalchemy-redshift"),
    "openlineage": ("lineage", "openlineage-python"),
}


class MissingExtra(ConfigError):
    """An optional dependency is not installed; the message says which extra installs it."""

    def __init__(self, message: str, *, module: str, extra: str) -> None:
        super().__init__(message, details={"module": module, "extra": extra})
        self.module = module
        self.extra = extra

    @classmethod
    def for_module(cls, module: str, purpose: str | None = None) -> MissingExtra:
        """The error for ``module`` (a key of :data:`EXTRAS`) missing, for ``purpose``."""
        extra, distribution = EXTRAS[module]
        need = (f"{purpose} needs {distribution}, which is not installed" if purpose
                else f"{distribution} is not installed")
        return cls(f"{need}: pip install 'dq-monitor[{extra}]'", module=module, extra=extra)


def missing_extra(error: ImportError, purpose: str | None = None) -> MissingExtra | None:
    """``error`` as :class:`MissingExtra` when it says an optional package is absent, else None.

    Only the package itself being absent counts: a missing submodule of an installed
    package is a broken installation (or a bug), not a missing extra.

    """
    top = (getattr(error, "name", None) or "").split(".", 1)[0]
    if top not in EXTRAS or installed(top):
        return None
    return MissingExtra.for_module(top, purpose)


def missing_dialect(backend: str) -> MissingExtra | None:
    """The error for a URL of ``backend`` whose SQLAlchemy dialect is not installed.

    >>> print(missing_dialect("duckdb"))
    a duckdb URL needs duckdb-engine, which is not installed: pip install 'dq-monitor[duckdb]'
    >>> missing_dialect("oracle") is None
    True
    """
    from monitor.dialects import capabilities_for

    module = capabilities_for(backend).driver_module
    return None if module is None else MissingExtra.for_module(module, f"a {backend} URL")


def installed(module: str) -> bool:
    """True when the top-level ``module`` can be imported (it is not imported here).

    >>> installed("sqlalchemy"), installed("no_such_module_here")
    (True, False)
    """
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_installed(module: str, purpose: str) -> None:
    """Raise :class:`MissingExtra` unless the optional ``module`` is installed (no import)."""
    if not installed(module):
        raise MissingExtra.for_module(module, purpose)


def require(module: str, purpose: str) -> ModuleType:
    """Import the optional ``module`` (a key of :data:`EXTRAS`), or raise :class:`MissingExtra`.

    >>> require("duckdb", "a DuckDB warehouse").__name__
    'duckdb'
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        if getattr(error, "name", None) != module:
            raise
        raise MissingExtra.for_module(module, purpose) from None
