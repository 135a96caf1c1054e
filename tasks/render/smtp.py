"""One SMTP session for a report e-mail, and what its failure means for at most once.

A try that is not accepted is one of
- `failed`: nothing reached the relay's queue (connection refused, a 4xx, a timeout before the
  message went out): it may be tried again;
- `rejected`: a 5xx to the message (MAIL FROM, RCPT TO, DATA): final;
- `unknown`: the message went out (DATA's final dot sent) but no answer came back (a timeout, a
  dropped connection): the relay may have accepted it, so the machine never sends it again.
A 5xx to the session (login, STARTTLS) is a setting to fix: `failed`, but not repeated at once.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from tasks.errors import KonbiniError
from tasks.settings import Smtp


class SendFailure(Exception):
    """A try that did not end in acceptance, with what the log records for it."""

    def __init__(self, state: str, detail: str, retry_now: bool):
        super().__init__(detail)
        self.state = state  # failed (retried), rejected (5xx to the message), unknown (no answer)
        self.detail = detail[:500]
        self.retry_now = retry_now


class _Session(smtplib.SMTP):
    """smtplib's client, remembering when the message itself has gone out (the only bytes it sends
    as `bytes`, ending with DATA's final dot): from then on a missing answer is ambiguous."""

    message_sent = False

    def send(self, s) -> None:
        super().send(s)
        if isinstance(s, bytes):
            self.message_sent = True


def check_smtp(smtp: Smtp) -> None:
    """Refuse a configuration that would send the relay password in clear."""
    if not smtp.host:
        raise KonbiniError("no SMTP host configured (KONBINI_SMTP__HOST): reports are only written to disk")
    if smtp.username and not smtp.starttls and not smtp.allow_plaintext_auth:
        raise KonbiniError(
            "KONBINI_SMTP__USERNAME is set but STARTTLS is off: the password would cross the network in"
            " clear; set KONBINI_SMTP__STARTTLS=true, or KONBINI_SMTP__ALLOW_PLAINTEXT_AUTH=true for a"
            " relay on a trusted link")


def _failure(e: Exception, message_sent: bool) -> SendFailure:
    detail = f"{type(e).__name__}: {e}"
    answered = isinstance(e, (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused))
    if message_sent and not answered:  # the relay may have accepted it: never resent by the machine
        return SendFailure("unknown", f"no answer after the message was sent ({detail})", retry_now=False)
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in e.recipients.values()]
    else:
        codes = [getattr(e, "smtp_code", 0)]
    if codes and all(c >= 500 for c in codes):
        message_level = isinstance(e, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                                       smtplib.SMTPDataError))
        # a 5xx to this message is final; a 5xx to the session (login, STARTTLS) is a setting to
        # fix: not repeated now, tried again by the next run
        return SendFailure("rejected" if message_level else "failed", detail, retry_now=False)
    return SendFailure("failed", detail, retry_now=True)


def send(msg: EmailMessage, smtp: Smtp) -> None:
    """One SMTP session; returns when the server accepted the message, else raises SendFailure."""
    check_smtp(smtp)
    client = None
    try:
        client = _Session(smtp.host, smtp.port, timeout=smtp.timeout_s)
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(msg)  # one recipient: refused, it raises SMTPRecipientsRefused
    except (smtplib.SMTPException, OSError) as e:
        if client is not None:
            client.close()
        raise _failure(e, client is not None and client.message_sent) from None
    try:  # accepted: a failing QUIT changes nothing
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
