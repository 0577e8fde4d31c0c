"""E-mail through smtplib against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.alerts.email import EmailNotifier, smtp_failure
from monitor.alerts.notifier import DeliveryFailed, DeliveryRejected, Notifier, OutgoingMessage
from monitor.config.models import EmailConfig
from tests.helpers.protocols import protocol_mismatches
from tests.helpers.smtp_server import (
    PASSWORD,
    USER,
    SmtpServer,
    running_smtp_server,
    self_signed,
)

# The loopback server asks for a login over plain SMTP on purpose (no certificates in tests).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn",
                                       "text": ":red_circle: *critical* · `orders`: 412 rows"}}]
MESSAGE = OutgoingMessage(text="*orders*: 412 rows, usually about 980", blocks=BLOCKS,
                          table="orders", event="opened", severity="critical",
                          incident_ids=(7,))


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


def mailer(port: int, **kw: object) -> EmailNotifier:
    settings: dict[str, object] = {"host": "127.0.0.1", "port": port, "security": "none",
                                   "sender": "dq@example.com",
                                   "to": ["data@example.com", "oncall@example.com"],
                                   "timeout": 1.0, **kw}
    return EmailNotifier(EmailConfig.model_validate(settings))


class TestEmailNotifier:
    def test_sends_one_plain_text_mail_to_every_recipient(self, smtp: SmtpServer) -> None:
        delivery = mailer(smtp.port).send(MESSAGE)

        (mail,) = smtp.mails
        assert mail["Subject"] == "[dq-monitor] orders: 412 rows, usually about 980"
        assert (mail["From"], mail["To"]) == ("dq@example.com",
                                              "data@example.com, oncall@example.com")
        assert smtp.envelopes == [("dq@example.com", ["data@example.com",
                                                       "oncall@example.com"])]
        body = mail.get_content()
        assert "critical · orders: 412 rows" in body  # plain text: no :emoji: or *bold*
        assert "*" not in body
        assert ":red_circle:" not in body
        assert delivery.channel == "email"

    def test_logs_in_when_a_username_is_set(self) -> None:
        with running_smtp_server(require_login=True) as smtp:
            mailer(smtp.port, username=USER, password=PASSWORD).send(MESSAGE)

            assert smtp.logins == [USER]
            assert len(smtp.mails) == 1

    def test_a_refused_login_is_terminal_and_hides_the_password(self) -> None:
        with running_smtp_server(require_login=True) as smtp:
            notifier = mailer(smtp.port, username=USER, password=PASSWORD[::-1])

            with pytest.raises(DeliveryRejected) as raised:
                notifier.send(MESSAGE)

        assert "535" in str(raised.value)
        assert PASSWORD[::-1] not in str(raised.value)

    def test_a_4xx_answer_is_retried_later(self, smtp: SmtpServer) -> None:
        smtp.fail_next("RCPT", "451 4.7.1 greylisted, try again later", times=2)

        with pytest.raises(DeliveryFailed) as raised:
            mailer(smtp.port).send(MESSAGE)

        assert raised.value.status == 451
        assert smtp.mails == []

    def test_an_unknown_mailbox_is_a_dead_letter(self, smtp: SmtpServer) -> None:
        smtp.fail_next("RCPT", "550 5.1.1 no such mailbox", times=2)

        with pytest.raises(DeliveryRejected, match="550"):
            mailer(smtp.port).send(MESSAGE)

    def test_one_refused_recipient_does_not_stop_the_others(self, smtp: SmtpServer,
                                                            caplog: pytest.LogCaptureFixture
                                                            ) -> None:
        smtp.fail_next("RCPT", "550 5.1.1 no such mailbox")

        mailer(smtp.port).send(MESSAGE)

        assert smtp.envelopes == [("dq@example.com", ["oncall@example.com"])]
        assert "1 of 2 recipients refused" in caplog.text

    def test_a_refused_message_body_is_classified_by_its_code(self, smtp: SmtpServer) -> None:
        smtp.fail_next("DATA", "554 5.6.0 message refused")

        with pytest.raises(DeliveryRejected, match="554"):
            mailer(smtp.port).send(MESSAGE)

    def test_no_server_is_a_transient_failure(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # closed again: nobody listens there

        with pytest.raises(DeliveryFailed, match="connection to 127.0.0.1 failed"):
            mailer(port).send(MESSAGE)

    def test_a_server_that_never_answers_times_out(self) -> None:
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(silent.accept()[0]),
                                  daemon=True)
        thread.start()
        started = time.monotonic()
        try:
            with pytest.raises(DeliveryFailed, match="within 0.3s|failed"):
                mailer(silent.getsockname()[1], timeout=0.3).send(MESSAGE)
        finally:
            for conn in accepted:
                conn.close()
            silent.close()

        assert time.monotonic() - started < 3

    def test_starttls_and_implicit_tls_with_a_trusted_certificate(self, tmp_path: Path
                                                                  ) -> None:
        cert, key = self_signed(tmp_path)
        for security, implicit in (("starttls", False), ("ssl", True)):
            with running_smtp_server(tls=(cert, key), implicit_tls=implicit,
                                     require_login=True) as smtp:
                mailer(smtp.port, security=security, ca_file=str(cert), username=USER,
                       password=PASSWORD).send(MESSAGE)

                assert len(smtp.mails) == 1, security
                assert smtp.logins == [USER]

    def test_an_untrusted_certificate_is_terminal(self, tmp_path: Path) -> None:
        with running_smtp_server(tls=self_signed(tmp_path)) as smtp:
            notifier = mailer(smtp.port, security="starttls")  # the system CAs only

            with pytest.raises(DeliveryRejected, match="not trusted"):
                notifier.send(MESSAGE)

            assert smtp.mails == []

    def test_starttls_against_a_server_without_it_is_terminal(self, smtp: SmtpServer) -> None:
        with pytest.raises(DeliveryRejected, match="STARTTLS|security"):
            mailer(smtp.port, security="starttls").send(MESSAGE)

    def test_is_true_to_the_protocol(self) -> None:
        assert protocol_mismatches(mailer(25), Notifier) == []


class TestSmtpFailure:
    def test_4xx_transient_5xx_terminal(self) -> None:
        assert isinstance(smtp_failure(421, "closing", "HELO"), DeliveryFailed)
        assert isinstance(smtp_failure(552, "too big", "DATA"), DeliveryRejected)


class TestEmailConfig:
    def test_ports_follow_the_security_unless_given(self) -> None:
        base = {"host": "h", "sender": "a@b.c", "to": ["d@e.f"]}

        ports = [EmailConfig.model_validate({**base, "security": s}).resolved_port
                 for s in ("starttls", "ssl", "none")]

        assert ports == [587, 465, 25]
        assert EmailConfig.model_validate({**base, "port": 2525}).resolved_port == 2525

    def test_a_username_needs_a_password(self) -> None:
        with pytest.raises(ValueError, match="both 'username' and 'password'"):
            EmailConfig.model_validate({"host": "h", "sender": "a@b.c", "to": ["d@e.f"],
                                        "username": "u"})
