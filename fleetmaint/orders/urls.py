from django.urls import path

from fleetmaint.orders import portal, quote_views, views

app_name = "orders"

urlpatterns = [
    path("quotes/new/", quote_views.quote_new, name="quote-new"),
    path("quotes/made/", quote_views.quotes_made, name="quotes-made"),
    path("quotes/<int:quote_id>/", views.quote_detail, name="quote"),
    path("quotes/<int:quote_id>/accept/", views.quote_accept, name="quote-accept"),
    path("quotes/<int:quote_id>/decline/", views.quote_decline, name="quote-decline"),
    path("orders/", views.order_list, name="list"),
    path("orders/<int:order_id>/", views.order_detail, name="detail"),
    path("orders/<int:order_id>/<str:action>/", views.order_move, name="move"),
    path(
        "orders/<int:order_id>/issues/<int:issue_id>/",
        views.issue_decide,
        name="issue-decide",
    ),
    path("settings/servicers/", views.servicers_choose, name="servicers"),
    path("portal/", portal.order_list, name="portal"),
    path("portal/orders/<int:order_id>/", portal.order_detail, name="portal-order"),
    path("portal/orders/<int:order_id>/accept/", portal.accept, name="portal-accept"),
    path("portal/orders/<int:order_id>/status/", portal.status, name="portal-status"),
    path("portal/orders/<int:order_id>/events/", portal.post_event, name="portal-event"),
    path("portal/orders/<int:order_id>/issues/", portal.report_issue, name="portal-issue"),
]
