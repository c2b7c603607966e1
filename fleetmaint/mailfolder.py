"""An e-mail backend for development: every message becomes one ``.eml`` file in a folder.

``make run`` uses it so that the demo's notifications do not flood the console
the way Django's console backend does (dozens of e-mails, thousands of lines,
the demo logins scrolled out of sight). Each message is written whole to
``EMAIL_FILE_PATH`` (``var/mail/`` by default), named so that the files sort
in the order they were written; a mail program opens them as they are. The
console gets one short line per connection: the message, or how many there
were and the last one.
"""

import itertools
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

log = logging.getLogger(__name__)
_numbers = itertools.count(1)


class MailFolderBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str | os.PathLike | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.folder = Path(file_path or settings.EMAIL_FILE_PATH)
        self._open = False
        self._written: list[tuple[EmailMessage, Path]] = []

    def open(self) -> bool:
        if self._open:
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            if not self.fail_silently:
                raise
            return False
        self._open = True
        return True

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        written, self._written = self._written, []
        if written:
            log.info(_summary(written, self.folder))

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        opened_here = self.open()
        sent = 0
        try:
            for message in email_messages:
                try:
                    self._written.append((message, self._write(message)))
                except OSError:
                    if not self.fail_silently:
                        raise
                else:
                    sent += 1
        finally:
            if opened_here:
                self.close()
        return sent

    def _write(self, message: EmailMessage) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{os.getpid()}-{next(_numbers):05d}.eml"
        with open(path, "xb") as handle:
            handle.write(message.message().as_bytes(linesep="\n"))
        return path


def _shown(folder: Path) -> str:
    try:
        return f"{folder.resolve().relative_to(Path.cwd())}{os.sep}"
    except ValueError:
        return f"{folder}{os.sep}"


def _summary(written: list[tuple[EmailMessage, Path]], folder: Path) -> str:
    message, path = written[-1]
    last = f"to {', '.join(message.to) or 'nobody'}: {message.subject}"
    if len(written) == 1:
        return f"E-mail {last} (written to {_shown(folder)}{path.name}, not sent)"
    return f"{len(written)} e-mails written to {_shown(folder)}, not sent; the last {last}"
