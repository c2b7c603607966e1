"""Importing vehicles, readings and service records from a file: upload, map, preview, import."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from fleetmaint.accounts.access import member_required, writer_required
from fleetmaint.errors import NotFound, ValidationFailed
from fleetmaint.imports import services
from fleetmaint.imports.kinds import Kind
from fleetmaint.imports.models import Upload, UploadStatus
from fleetmaint.imports.tables import (
    XLSX_TYPES,
    check_upload_size,
    csv_lines,
    is_blank,
    xlsx_file,
)
from fleetmaint.web import redirect_page

ACCEPTED_FILES = ".csv,.xlsx,text/csv," + ",".join(XLSX_TYPES)


def _kind(slug: str) -> Kind:
    try:
        return services.kind_named(slug)
    except NotFound:
        raise Http404(slug) from None


def _upload(request: HttpRequest, pk: int) -> Upload:
    # Another fleet's upload, or one already dropped, is a 404.
    # The file itself loads only where it is read, not on every progress poll.
    return get_object_or_404(Upload.objects.defer("content", "rejected"), org=request.org, pk=pk)


@writer_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "imports/index.html", {"kinds": services.KINDS.values()})


@writer_required
def upload_page(request: HttpRequest, kind: str) -> HttpResponse:
    chosen = _kind(kind)
    error = ""
    if request.method == "POST":
        file = request.FILES.get("file")
        if file is None:
            error = "Choose a CSV or XLSX file to upload."
        else:
            try:
                check_upload_size(file.size)  # before the file is read into memory
                upload = services.upload_create(
                    org=request.org,
                    kind=chosen,
                    actor=request.user,
                    name=file.name,
                    data=file.read(),
                )
            except ValidationFailed as failure:
                error = failure.message
            else:
                return redirect("imports:map", pk=upload.pk)
    context = {"kind": chosen, "error": error, "accept": ACCEPTED_FILES}
    return render(request, "imports/upload.html", context, status=422 if error else 200)


def _mapping_from(kind: Kind, data, header: list[str]) -> dict[str, str]:
    return {name: data.get(name, "") for name in kind.fields if data.get(name, "") in header}


def _preview(request: HttpRequest, kind: Kind, table, mapping: dict[str, str]) -> dict:
    """The checked rows' counts; the first rows as they would import, then the refused ones."""
    outcome = services.rows_import_preview(kind=kind, org=request.org, table=table, mapping=mapping)
    within = table.rows[: services.PREVIEW_CHECKED]
    checked = sum(not is_blank(cells) for cells in within)
    reasons = {item["row"]: item["reason"] for item in outcome.refused}
    duplicates = set(outcome.duplicate_rows)
    filled = [index + 2 for index, cells in enumerate(within) if not is_blank(cells)]
    shown = filled[: services.PREVIEW_ROWS]
    later = [number for number in sorted(reasons) if shown and number > shown[-1]]
    shown += later[: services.PREVIEW_REFUSED]
    rows = [
        {
            "row": number,
            "cells": table.rows[number - 2],
            "reason": reasons.get(number, ""),
            "duplicate": number in duplicates,
            "gap": index > 0 and number != shown[index - 1] + 1,
        }
        for index, number in enumerate(shown)
    ]
    return {
        "rows": rows,
        "checked": checked,
        "all_checked": len(within) == len(table.rows),
        "stored": outcome.imported,
        "duplicates": outcome.duplicates,
        "refused": len(outcome.refused),
        "refused_hidden": max(len(later) - services.PREVIEW_REFUSED, 0),
    }


@writer_required
def map_page(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload(request, pk)
    kind = _kind(upload.kind)
    if upload.status != UploadStatus.UPLOADED:
        return _status_page(request, upload, kind)
    table = services.upload_table(upload)
    error = ""
    preview = None
    if request.method == "POST":
        mapping = _mapping_from(kind, request.POST, table.header)
        try:
            services.upload_queue(upload=upload, mapping=mapping)
        except ValidationFailed as failure:
            error = failure.message
        else:
            return redirect_page(request, reverse("imports:map", args=[upload.pk]))
    elif "preview" in request.GET:
        mapping = _mapping_from(kind, request.GET, table.header)
        try:
            preview = _preview(request, kind, table, mapping)
        except ValidationFailed as failure:
            error = failure.message
    else:
        mapping = services.mapping_guess(request.org, kind, table.header)
    context = {
        "upload": upload,
        "kind": kind,
        "header": table.header,
        "row_count": table.filled,
        "mapping": mapping,
        "error": error,
        "preview": preview,
        "preview_rows": services.PREVIEW_ROWS,
        "preview_checked": services.PREVIEW_CHECKED,
    }
    return render(request, "imports/map.html", context, status=422 if error else 200)


def _status_page(request: HttpRequest, upload: Upload, kind: Kind) -> HttpResponse:
    """The import's progress while a worker imports; its counts and refused rows after."""
    upload = services.upload_check_stalled(upload)
    result = upload.result or {"imported": 0, "duplicates": 0, "refused": []}
    template = "imports/status.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"upload": upload, "kind": kind, **result})


@writer_required
def rejected_csv(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload(request, pk)
    response = HttpResponse(upload.rejected, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-{upload.kind}.csv"'
    return response


@member_required
def export_csv(request: HttpRequest, kind: str) -> StreamingHttpResponse:
    chosen = _kind(kind)
    rows = csv_lines(services.export_rows(chosen, request.org))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{chosen.slug}.csv"'
    return response


@member_required
def export_xlsx(request: HttpRequest, kind: str) -> FileResponse:
    chosen = _kind(kind)
    try:
        workbook = xlsx_file(services.export_rows(chosen, request.org))
    except ValidationFailed as failure:
        messages.error(request, failure.message)
        return redirect("imports:upload", kind=chosen.slug)
    return FileResponse(
        workbook, as_attachment=True, filename=f"{chosen.slug}.xlsx", content_type=XLSX_TYPES[0]
    )
