"""E-mail over SMTP with aiosmtplib; UTF-8 subjects and bodies (RFC 2047 / MIME)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from cascade_shared.envelope import utcnow

from cascade_notifications.settings import NotificationsSettings


def build_email(
    *, delivery_id: str, to: str, subject: str, body: str, settings: NotificationsSettings
) -> EmailMessage:
    """The message of one delivery. Its Message-ID is the delivery's id, so a resend after a
    crash between send and mark carries the same id and mail systems can drop the copy."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<{delivery_id}@{settings.message_id_domain}>"
    message.set_content(body, charset="utf-8")
    return message


async def send_email(message: EmailMessage, settings: NotificationsSettings) -> None:
    if not settings.smtp_host:
        raise RuntimeError("no SMTP host is configured")
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_start_tls,
        use_tls=settings.smtp_use_tls,
        timeout=settings.smtp_timeout,
    )
