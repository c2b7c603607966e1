"""Importing readings from a CSV file: upload, map the columns, preview, import; and the export."""

import csv

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from fleetmaint.accounts.access import member_required, writer_required
from fleetmaint.errors import ValidationFailed
from fleetmaint.imports import services
from fleetmaint.imports.models import ReadingUpload, UploadStatus
from fleetmaint.web import redirect_page


def _upload(request: HttpRequest, pk: int) -> ReadingUpload:
    # Another fleet's upload, or one already dropped, is a 404.
    return get_object_or_404(ReadingUpload, org=request.org, pk=pk)


@writer_required
def upload_page(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        file = request.FILES.get("file")
        if file is None:
            error = "Choose a CSV file to upload."
        else:
            try:
                upload = services.upload_create(
                    org=request.org, actor=request.user, name=file.name, data=file.read()
                )
            except ValidationFailed as failure:
                error = failure.message
            else:
                return redirect("imports:readings-map", pk=upload.pk)
    return render(
        request,
        "imports/upload.html",
        {"error": error, "fields": services.FIELDS},
        status=422 if error else 200,
    )


def _mapping_from(data, header: list[str]) -> dict[str, str]:
    return {name: data.get(name, "") for name in services.FIELDS if data.get(name, "") in header}


@writer_required
def map_page(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload(request, pk)
    if upload.status != UploadStatus.UPLOADED:
        return _status_page(request, upload)
    table = services.read_csv(upload.content)
    error = ""
    preview = None
    if request.method == "POST":
        mapping = _mapping_from(request.POST, table.header)
        try:
            services.upload_queue(upload=upload, mapping=mapping)
        except ValidationFailed as failure:
            error = failure.message
        else:
            return redirect_page(request, reverse("imports:readings-map", args=[upload.pk]))
    elif "preview" in request.GET:
        mapping = _mapping_from(request.GET, table.header)
        try:
            outcome = services.readings_import_preview(
                org=request.org, table=table, mapping=mapping
            )
        except ValidationFailed as failure:
            error = failure.message
        else:
            reasons = {item["row"]: item["reason"] for item in outcome.refused}
            duplicates = set(outcome.duplicate_rows)
            preview = [
                {
                    "row": index + 2,
                    "cells": cells,
                    "reason": reasons.get(index + 2, ""),
                    "duplicate": index + 2 in duplicates,
                }
                for index, cells in enumerate(table.rows[: services.PREVIEW_ROWS])
            ]
    else:
        mapping = services.guess_mapping(table.header, services.mapping_last(request.org))
    context = {
        "upload": upload,
        "header": table.header,
        "row_count": len(table.rows),
        "fields": services.FIELDS,
        "mapping": mapping,
        "error": error,
        "preview": preview,
        "preview_rows": services.PREVIEW_ROWS,
    }
    return render(request, "imports/map.html", context, status=422 if error else 200)


def _status_page(request: HttpRequest, upload: ReadingUpload) -> HttpResponse:
    """The import's progress while a worker imports; its counts and refused rows after."""
    result = upload.result or {"imported": 0, "duplicates": 0, "refused": []}
    template = "imports/status.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"upload": upload, **result})


@writer_required
def rejected_csv(request: HttpRequest, pk: int) -> HttpResponse:
    upload = _upload(request, pk)
    response = HttpResponse(upload.rejected, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rejected-readings.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


@member_required
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    rows = services.readings_export_rows(request.org)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="readings.csv"'
    return response
