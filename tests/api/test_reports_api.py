"""The report downloads over the API, at the edges of their parameters."""

import pytest


@pytest.mark.parametrize("group_by", ["vehicle", "status", None])
def test_a_report_page_of_no_rows_is_an_empty_file(api, vehicle, group_by):
    params = {"only_unplanned": "true", "sort": "", "limit": 0, "format": "pdf"}
    if group_by:
        params["group_by"] = group_by
    response = api.get("/api/v1/reports/tasks", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
