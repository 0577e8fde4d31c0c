"""A database server the tests reach over the network, or skip (fail in CI) without.

One ``Server`` per kind: its URL comes from an environment variable with a
default on loopback; whether it answers is checked once per session; a test
that needs it calls ``require()``, which skips with the reason, or fails when
the CI variable (``DQ_REQUIRE_...=1``) says the server must be there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa


@dataclass
class Server:
    """A server kind: its title, default URL and the variables that steer the tests."""

    title: str
    default_url: str
    url_var: str
    require_var: str
    driver_hint: str = ""  # what to install when the driver module is missing
    _reachable: tuple[bool, str] | None = field(default=None, repr=False)

    def base_url(self) -> str:
        return os.environ.get(self.url_var, self.default_url)

    def reachable(self) -> tuple[bool, str]:
        """(True, '') when the server answers, else (False, reason); checked once."""
        if self._reachable is None:
            self._reachable = self._probe()
        return self._reachable

    def require(self) -> None:
        """Skip the calling test without the server; fail instead when CI requires it."""
        ok, reason = self.reachable()
        if ok:
            return
        if os.environ.get(self.require_var) == "1":
            pytest.fail(f"{reason} ({self.require_var}=1 makes this a failure)")
        pytest.skip(reason)

    def url_for_database(self, name: str) -> str:
        return sa.engine.make_url(self.base_url()).set(database=name).render_as_string(
            hide_password=False)

    def _probe(self) -> tuple[bool, str]:
        try:
            engine = sa.create_engine(self.base_url(), connect_args={"connect_timeout": 3})
        except ModuleNotFoundError as error:
            return False, f"no {self.title} driver ({error}); {self.driver_hint}".rstrip("; ")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            return True, ""
        except sa.exc.SQLAlchemyError as error:
            first = str(error.orig or error).strip().splitlines()[0]
            return False, (f"{self.title} not reachable at {self.base_url()} ({first}); "
                           f"set {self.url_var} to point the tests at a server")
        finally:
            engine.dispose()
