"""The notification centre, personal preferences, and webhook endpoints."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from fleetmaint.accounts.access import admin_required, get_owned, member_required
from fleetmaint.errors import DomainError
from fleetmaint.notifications import delivery, queries, services
from fleetmaint.notifications.forms import WebhookForm
from fleetmaint.notifications.models import (
    DEFAULT_USER_CHANNELS,
    EVENT_KINDS,
    DeliveryAttempt,
    Message,
    Preference,
    WebhookEndpoint,
    event_label,
)
from fleetmaint.web import INVALID, add_domain_error, redirect_page, render_page

PAGE_SIZE = 20
PANEL_SIZE = 8


@member_required
def inbox(request: HttpRequest) -> HttpResponse:
    only_unread = request.GET.get("show") == "unread"
    items = queries.inbox(request.user, request.org)
    if only_unread:
        items = items.filter(read_at=None)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "only_unread": only_unread,
        "query": "show=unread" if only_unread else "",
        "unread": queries.unread_count(request.user, request.org),
    }
    return render_page(request, "notifications/inbox.html", context, partial="list")


@member_required
def badge(request: HttpRequest) -> HttpResponse:
    context = {
        "unread_notifications": queries.unread_count(request.user, request.org),
        "poll_seconds": settings.NOTIFICATION_POLL_SECONDS,
    }
    return render_page(request, "notifications/_badge.html", context)


@member_required
def panel(request: HttpRequest) -> HttpResponse:
    items = queries.inbox(request.user, request.org)[:PANEL_SIZE]
    return render_page(request, "notifications/_panel.html", {"items": items})


@member_required
def open_notification(request: HttpRequest, message_id: int) -> HttpResponse:
    """Marks the notification read and goes to what it is about."""
    item = queries.inbox(request.user, request.org).filter(pk=message_id).first()
    if item is None:
        raise Http404("No such notification")
    services.mark_read(user=request.user, org=request.org, message_id=item.pk)
    target = item.event.link
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("notifications:inbox")


@member_required
@require_POST
def mark_read(request: HttpRequest, message_id: int) -> HttpResponse:
    if not queries.inbox(request.user, request.org).filter(pk=message_id).exists():
        raise Http404("No such notification")
    services.mark_read(user=request.user, org=request.org, message_id=message_id)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notifications:inbox")
    return redirect_page(request, target)


@member_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_read(user=request.user, org=request.org)
    messages.success(request, f"Marked {count} notification(s) as read.")
    return redirect_page(request, reverse("notifications:inbox"))


def _preference_rows(preference: Preference | None) -> list[dict]:
    rows = []
    for name, description in EVENT_KINDS.items():
        if name == "test.ping":
            continue
        chosen = preference.channels_for(name) if preference else DEFAULT_USER_CHANNELS
        rows.append(
            {
                "name": name,
                "label": event_label(name),
                "description": description,
                "chosen": chosen,
            }
        )
    return rows


@member_required
def preferences(request: HttpRequest) -> HttpResponse:
    preference = Preference.objects.filter(user=request.user).first()
    error = None
    phone = preference.phone if preference else ""
    if request.method == "POST":
        phone = request.POST.get("phone", "")
        channels = {
            name: request.POST.getlist(f"channels-{name}")
            for name in EVENT_KINDS
            if name != "test.ping"
        }
        try:
            services.preference_update(user=request.user, phone=phone, channels=channels)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, "Your notification preferences are saved.")
            return redirect_page(request, reverse("notifications:preferences"))
    context = {
        "rows": _preference_rows(preference),
        "phone": phone,
        "error": error,
        "channels": services.USER_CHANNELS,
    }
    return render_page(
        request, "notifications/preferences.html", context, status=INVALID if error else 200
    )


# --- webhooks -------------------------------------------------------------------


def _get_endpoint(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    return get_owned(request, WebhookEndpoint.objects.all(), pk=endpoint_id)


@admin_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None, initial={"active": True})
    created = None
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.webhook_create(
                    org=request.org,
                    url=data["url"],
                    events=data["events"],
                    description=data["description"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                form = WebhookForm(initial={"active": True})
                status = 201
    context = {
        "form": form,
        "created": created,
        "endpoints": WebhookEndpoint.objects.filter(org=request.org),
    }
    return render_page(
        request, "notifications/webhooks.html", context, partial="endpoints", status=status
    )


@admin_required
def webhook_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _get_endpoint(request, endpoint_id)
    form = WebhookForm(
        request.POST or None,
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "active": endpoint.active,
        },
    )
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                services.webhook_update(endpoint=endpoint, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "Endpoint saved.")
                return redirect_page(request, reverse("notifications:webhook", args=[endpoint.pk]))
    deliveries = (
        Message.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(
            Prefetch("deliveries", queryset=DeliveryAttempt.objects.order_by("-started_at"))
        )
    )
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"endpoint": endpoint, "form": form, "page": page, "query": ""}
    partial = "log" if request.GET.get("page") or request.GET.get("refresh") else None
    return render_page(
        request, "notifications/webhook_detail.html", context, partial=partial, status=status
    )


@admin_required
@require_POST
def webhook_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    services.webhook_delete(endpoint=_get_endpoint(request, endpoint_id))
    messages.success(request, "Endpoint deleted.")
    return redirect_page(request, reverse("notifications:webhooks"))


@admin_required
@require_POST
def webhook_ping(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _get_endpoint(request, endpoint_id)
    services.webhook_ping(endpoint=endpoint)
    messages.success(request, "A test message is on its way; see the delivery log below.")
    return redirect_page(request, reverse("notifications:webhook", args=[endpoint.pk]))


@admin_required
@require_POST
def redeliver(request: HttpRequest, endpoint_id: int, message_id: int) -> HttpResponse:
    endpoint = _get_endpoint(request, endpoint_id)
    if not Message.objects.filter(endpoint=endpoint, pk=message_id).exists():
        raise Http404("No such delivery")
    try:
        delivery.redeliver(org=request.org, message_id=message_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Queued for redelivery.")
    return redirect_page(request, reverse("notifications:webhook", args=[endpoint.pk]))
