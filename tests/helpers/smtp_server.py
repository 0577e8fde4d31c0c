"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps the mails it accepted.

It can be told to answer the next RCPT or DATA with a given SMTP reply
(``"451 4.7.1 try again later"``, ``"550 5.1.1 no such mailbox"``), and to
require a login (AUTH PLAIN/LOGIN over the plain connection, as a relay on
loopback may).

    with running_smtp_server() as smtp:
        smtp.fail_next("RCPT", "550 5.1.1 no such mailbox")
        ...
        assert [m["Subject"] for m in smtp.mails] == [...]
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "dq-alerts"
PASSWORD = "Vf8qLz3TnW5pKx2R"  # random: fragments of it are masked too


class SmtpServer:
    """What the handler accepted and the failures it was told to answer with."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self._failures: dict[str, list[str]] = {"RCPT": [], "DATA": []}
        self._lock = threading.Lock()
        self.port = 0

    def fail_next(self, stage: str, reply: str, times: int = 1) -> None:
        with self._lock:
            self._failures[stage].extend([reply] * times)

    def _failure(self, stage: str) -> str | None:
        with self._lock:
            queue = self._failures[stage]
            return queue.pop(0) if queue else None

    # -- aiosmtpd handler hooks ------------------------------------------------------
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        failure = self._failure("RCPT")
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        failure = self._failure("DATA")
        if failure:
            return failure
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.mails.append(mail)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if (user, password) == (USER, PASSWORD):
                with self._lock:
                    self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@contextmanager
def running_smtp_server(*, require_login: bool = False) -> Iterator[SmtpServer]:
    """Start the server on a free port of 127.0.0.1; stop it after."""
    state = SmtpServer()
    with socket.socket() as probe:  # aiosmtpd checks its port by connecting: it needs one
        probe.bind(("127.0.0.1", 0))
        state.port = int(probe.getsockname()[1])
    controller = Controller(state, hostname="127.0.0.1", port=state.port,
                            authenticator=state.authenticate, auth_required=require_login,
                            auth_require_tls=False)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()
