"""The search page, and the suggestions under the header's search field."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from fleetmaint.accounts.access import member_required
from fleetmaint.search import queries
from fleetmaint.web import render_page

# The header's field asks for its suggestions into this element (templates/base.html).
SUGGESTIONS_TARGET = "search-suggestions"


@member_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """``/search/?q=text``: the matches of every kind, a few each with a link to the rest;
    ``&kind=orders`` shows more of one kind. For the header's field (htmx), only the
    suggestions; for the page's own field, only the results."""
    term = queries.clean_term(request.GET.get("q", ""))
    if request.htmx and request.htmx.target == SUGGESTIONS_TARGET:
        results = queries.search(request.org, term, limit=queries.SUGGESTED)
        return render_page(request, "search/page.html", {"results": results}, partial="suggestions")
    kind = request.GET.get("kind", "")
    if kind in queries.KINDS:
        results = queries.search(request.org, term, limit=queries.KIND_PAGE, kinds=(kind,))
    else:
        kind = ""
        results = queries.search(request.org, term)
    context = {"results": results, "term": term, "kind": kind, "text_min": queries.TEXT_MIN}
    return render_page(request, "search/page.html", context, partial="results")
