"""The fleet pages' forms: typed values for the services, errors in plain words."""

from decimal import Decimal

from django import forms

from fleetmaint.errors import ValidationFailed
from fleetmaint.orders.models import ServiceType
from fleetmaint.orders.services import MAX_MONEY


class QuoteRequestForm(forms.Form):
    """Who is asked, for what kind of work, and how much may be spent without asking."""

    servicer = forms.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        error_messages={"required": "Choose a servicer.", "invalid": "Choose a servicer."},
    )
    type = forms.ChoiceField(
        choices=ServiceType.choices,
        required=False,
        error_messages={
            "invalid_choice": "Choose scheduled maintenance, depot repair or onsite repair."
        },
    )
    pre_authorized = forms.DecimalField(
        min_value=Decimal("0"), max_value=MAX_MONEY, decimal_places=2, required=False
    )

    def typed(self) -> tuple[int, ServiceType, Decimal]:
        """The cleaned values, or ValidationFailed naming the first field at fault."""
        if not self.is_valid():
            field, errors = next(iter(self.errors.items()))
            raise ValidationFailed(errors[0], field=field)
        data = self.cleaned_data
        service_type = ServiceType(data["type"] or ServiceType.SCHEDULED_MAINTENANCE)
        return data["servicer"], service_type, data["pre_authorized"] or Decimal("0")
