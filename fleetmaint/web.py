"""Small helpers every page uses: one template for the page and its fragments."""

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from fleetmaint.errors import DomainError


class CheckGrid(forms.CheckboxSelectMultiple):
    """Checkboxes in a grid: the class is the container's, not each checkbox's.

    Django gives the widget's attributes to every checkbox as well; a checkbox
    with the grid's class becomes a grid cell itself and drifts away from its label.
    """

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"].pop("class", None)
        return option


# Forms answer invalid input with 422 and the errors in place. htmx is told
# to swap 422 responses (base.html), and django-htmx's debug overlay, which
# takes over the page on 400, leaves them alone.
INVALID = 422


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Renders the whole page, or only ``template#partial`` for an htmx request.

    Boosted navigation wants the whole page, so only targeted htmx requests
    get the fragment.
    """
    if partial and request.htmx and not request.htmx.boosted:
        template = f"{template}#{partial}"
    return TemplateResponse(request, template, context, status=status)


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Shows a service's refusal next to the field it is about, or above the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def redirect_page(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful form: a normal redirect, or a full-page one for htmx.

    htmx would otherwise swap the whole next page into the form's target.
    """
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class RowUrls:
    """The links of a list's rows: each route reversed once per page, then filled in per row.

    ``reverse`` walks the URL resolver each time; a page of 25 tasks with nine
    links each spent a fifth of its time there. Every route here takes one
    whole-number argument, which a placeholder stands in for.
    """

    PLACEHOLDER = "2147480001"

    def __init__(self, **routes: str) -> None:
        self._patterns = {
            name: reverse(route, args=[int(self.PLACEHOLDER)]) for name, route in routes.items()
        }

    def for_row(self, pk: int) -> dict[str, str]:
        return {
            name: url.replace(self.PLACEHOLDER, str(pk)) for name, url in self._patterns.items()
        }
