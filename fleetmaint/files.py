"""Uploaded documents: PDFs and images only, checked by their content, within a size limit."""

from django.conf import settings

from fleetmaint.errors import ValidationFailed

_MAGIC = {
    b"%PDF": "application/pdf",
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
}


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
