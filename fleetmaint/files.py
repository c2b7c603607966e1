"""Uploaded documents, wherever they are attached (tasks, contracts).

The rules every attachment shares live here once: what may be uploaded (PDFs
and images only, checked by their content, within a size limit), how a stored
file is handed back as a download, and when a removed file leaves storage.
"""

from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from fleetmaint.errors import ValidationFailed

_MAGIC = {
    b"%PDF": "application/pdf",
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
}


class StoredFile(Protocol):
    """A row holding an upload: ``TaskFile``, ``ContractDocument``."""

    file: FieldFile
    name: str
    content_type: str


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, if it is one we accept."""
    for magic, content_type in _MAGIC.items():
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_upload(upload, *, field: str = "file") -> str:
    """The upload's real content type; refuses anything too large or not a PDF or image."""
    limit = settings.TASK_FILE_MAX_BYTES
    if upload.size > limit:
        raise ValidationFailed(
            f"{upload.name} is {upload.size / 1_000_000:.1f} MB; the limit is "
            f"{limit / 1_000_000:.0f} MB.",
            field=field,
        )
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise ValidationFailed(
            f"{upload.name} is not a PDF, PNG, JPEG, GIF or WebP file.", field=field
        )
    return content_type


def download(stored: StoredFile) -> FileResponse:
    """The file as a download, under the name it was uploaded with and the content type
    its bytes showed (never what the browser claimed), so it is saved, not displayed."""
    return FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.content_type,
    )


def delete_after_commit(files: Iterable[FieldFile]) -> None:
    """Deletes the stored files once the caller's transaction commits.

    Called where their rows are deleted: a transaction rolled back keeps the rows,
    so it must keep their files too, and deleting later than the commit never
    leaves a row pointing at nothing.
    """
    stored = [(f.storage, f.name) for f in files if f.name]
    if not stored:
        return

    def remove_from_storage() -> None:
        for storage, name in stored:
            storage.delete(name)

    transaction.on_commit(remove_from_storage)
