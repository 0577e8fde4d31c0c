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

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written as PEM files (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@contextmanager
def running_smtp_server(*, require_login: bool = False, tls: tuple[Path, Path] | None = None,
                        implicit_tls: bool = False) -> Iterator[SmtpServer]:
    """Start the server on a free port of 127.0.0.1; stop it after.

    With ``tls`` (cert, key) it offers STARTTLS and requires it, or with
    ``implicit_tls`` speaks TLS from the first byte (port 465 style).
    """
    state = SmtpServer()
    with socket.socket() as probe:  # aiosmtpd checks its port by connecting: it needs one
        probe.bind(("127.0.0.1", 0))
        state.port = int(probe.getsockname()[1])
    options: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        options = ({"ssl_context": context} if implicit_tls else
                   {"tls_context": context, "require_starttls": True})
    controller = Controller(state, hostname="127.0.0.1", port=state.port,
                            authenticator=state.authenticate, auth_required=require_login,
                            auth_require_tls=False, **options)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()
