"""make run's e-mail backend: one .eml file per message, one short console line per batch."""

import email
import logging
from email import policy

from django.core import mail

from fleetmaint.notifications.models import Message, MessageStatus
from tests.notifications.conftest import tell

BACKEND = "fleetmaint.mailfolder.MailFolderBackend"


def _read(path):
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "fleetmaint.mailfolder"]


def test_a_notification_is_written_to_the_folder_with_its_link_on_site_url(
    org, settings, tmp_path, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SITE_URL = "http://127.0.0.1:8101"
    caplog.set_level(logging.INFO, logger="fleetmaint.mailfolder")

    with django_capture_on_commit_callbacks(execute=True):
        tell(org, emails=["fleet@example.com", "boss@example.com"])

    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    files = sorted((tmp_path / "mail").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    mails = [_read(f) for f in files]
    assert {m["To"] for m in mails} == {"fleet@example.com", "boss@example.com"}
    for written in mails:
        assert written["Subject"] == "[Acme Logistics] Oil change is overdue on Van 1"
        text = written.get_body(("plain",)).get_content()
        html = written.get_body(("html",)).get_content()
        assert "Open in fleetmaint: http://127.0.0.1:8101/vehicles/1/" in text
        assert 'href="http://127.0.0.1:8101/vehicles/1/"' in html
    # One line for the batch, not the messages' text.
    [line] = _lines(caplog)
    assert line.startswith("2 e-mails written to ")
    assert "not sent; the last to " in line
    assert "Oil change is overdue on Van 1" in line


def test_a_single_mail_gets_one_line_naming_its_file(settings, tmp_path, caplog):
    settings.EMAIL_BACKEND = BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    caplog.set_level(logging.INFO, logger="fleetmaint.mailfolder")

    sent = mail.send_mail("Reset your password", "Open this link.", None, ["ann@example.com"])

    assert sent == 1
    [path] = tmp_path.iterdir()
    assert _read(path)["Subject"] == "Reset your password"
    assert _lines(caplog) == [
        f"E-mail to ann@example.com: Reset your password (written to {tmp_path}/{path.name}, "
        "not sent)"
    ]


def test_files_sort_in_the_order_they_were_written(settings, tmp_path):
    settings.EMAIL_BACKEND = BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)

    for number in range(12):
        mail.send_mail(f"Mail {number}", "", None, ["ann@example.com"])

    subjects = [_read(path)["Subject"] for path in sorted(tmp_path.iterdir())]
    assert subjects == [f"Mail {number}" for number in range(12)]
