"""E-mail through SMTP with the standard library (``smtplib`` and ``email``).

One plain-text mail per message to every address in ``alerts.email.to``: the
subject is the message's first line, the body what the console shows. The
connection uses STARTTLS (port 587), implicit TLS (``security: ssl``, 465) or
neither (25, for a relay on the same host), logs in when a username is set,
and has a timeout on every step. SMTP 4xx answers, timeouts and dropped
connections are retried by the outbox; 5xx answers (an unknown mailbox, a
refused login) are dead letters. The password is a secret.

>>> from monitor.config.models import EmailConfig
>>> mailer = EmailNotifier(EmailConfig(host="smtp.invalid", sender="dq@example.com",
...                                    to=["data@example.com"]))
>>> mailer.compose(OutgoingMessage(text="orders: 412 rows, usually about 980"))["Subject"]
'[dq-monitor] orders: 412 rows, usually about 980'
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from monitor.alerts.notifier import Delivery, DeliveryFailed, DeliveryRejected, OutgoingMessage
from monitor.alerts.webhook import message_text, title
from monitor.config.models import EmailConfig
from monitor.config.secrets import REGISTRY, redact

log = logging.getLogger(__name__)


def smtp_failure(code: int, text: str, what: str) -> DeliveryFailed | DeliveryRejected:
    """4xx: try again later; 5xx (and anything else): permanent.

    >>> type(smtp_failure(451, "greylisted", "RCPT")).__name__
    'DeliveryFailed'
    """
    message = f"email: {what}: SMTP {code} {redact(text)}".strip()
    if 400 <= code < 500:
        return DeliveryFailed(message, status=code)
    return DeliveryRejected(message, details={"status": code})


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class EmailNotifier:
    """Sends each message as one mail through the configured SMTP server."""

    name = "email"
    supports_threads = False

    def __init__(self, config: EmailConfig) -> None:
        if config.password:
            REGISTRY.add(config.password)
        self.config = config
        self.timeout = float(config.timeout)

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage()
        prefix = self.config.subject_prefix
        mail["Subject"] = f"{prefix} {title(message)}".strip()
        mail["From"] = self.config.sender
        mail["To"] = ", ".join(self.config.to)
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = make_msgid(domain=self.config.sender.rpartition("@")[2] or None)
        mail.set_content(message_text(message) + "\n")
        return mail

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context()  # verifies the certificate and the host name
        if self.config.ca_file:
            context.load_verify_locations(cafile=self.config.ca_file)
        return context

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.security == "ssl":
            return smtplib.SMTP_SSL(config.host, config.resolved_port, timeout=self.timeout,
                                    context=self._tls())
        smtp = smtplib.SMTP(config.host, config.resolved_port, timeout=self.timeout)
        if config.security == "starttls":
            try:
                smtp.starttls(context=self._tls())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def send(self, message: OutgoingMessage) -> Delivery:
        """Send one mail; DeliveryFailed (retry later) or DeliveryRejected otherwise."""
        mail = self.compose(message)
        try:
            with self._connect() as smtp:
                if self.config.username and self.config.password:
                    smtp.login(self.config.username, self.config.password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            first = next(iter(error.recipients.items()))
            failure = smtp_failure(max(codes) if any(c >= 500 for c in codes) else min(codes),
                                   _text(first[1][1]), f"every recipient refused ({first[0]})")
            raise failure from None
        except smtplib.SMTPResponseException as error:  # sender, data, auth, connect, helo
            raise smtp_failure(error.smtp_code, _text(error.smtp_error),
                               type(error).__name__) from None
        except smtplib.SMTPNotSupportedError as error:
            raise DeliveryRejected(f"email: {redact(str(error))} (set 'security')") from None
        except ssl.SSLCertVerificationError as error:
            raise DeliveryRejected(f"email: TLS certificate of {self.config.host} not "
                                   f"trusted: {redact(str(error))}") from None
        except TimeoutError:
            raise DeliveryFailed(f"email: no answer from {self.config.host} within "
                                 f"{self.timeout:g}s") from None
        except (OSError, smtplib.SMTPException) as error:
            # Refused or dropped connections (SMTPServerDisconnected), TLS handshakes.
            raise DeliveryFailed(f"email: connection to {self.config.host} failed: "
                                 f"{redact(str(error)) or type(error).__name__}") from None
        if refused:
            log.warning("email: %d of %d recipients refused the alert: %s", len(refused),
                        len(self.config.to), redact(", ".join(sorted(refused))))
        return Delivery(channel="email")
