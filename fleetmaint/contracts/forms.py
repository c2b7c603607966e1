from django import forms

from fleetmaint.contracts.models import ContractStatus, ContractType


class ContractForm(forms.Form):
    contract_type = forms.ChoiceField(choices=ContractType.choices, label="Type")
    number = forms.CharField(max_length=60, label="Contract number")
    provider = forms.CharField(max_length=120, required=False)
    description = forms.CharField(max_length=255, required=False)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start_odometer = forms.IntegerField(
        required=False, min_value=0, help_text="Left empty: the current odometer."
    )
    distance_limit = forms.IntegerField(
        required=False, min_value=0, help_text="Coverage ends after this distance."
    )
    price = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    covered_services = forms.CharField(
        required=False,
        help_text="Comma-separated catalogue codes (oil-change) or short texts.",
    )
    terms = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(
        choices=[(ContractStatus.ACTIVE, "Active"), (ContractStatus.DRAFT, "Draft")],
        initial=ContractStatus.ACTIVE,
    )
