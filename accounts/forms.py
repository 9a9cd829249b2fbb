from allauth.account.adapter import get_adapter as get_account_adapter
from django import forms
from django.utils.translation import gettext_lazy as _

# The one wording for a wrong email or password (this form and allauth's sign-in page alike).
INVALID_LOGIN_MESSAGE = _("The email address or password is not correct.")


class CleverLinkForm(forms.Form):
    """Prove an existing account with its email and password, to merge a Clever identity into it.

    Authentication goes through allauth's adapter: failures are rate-limited per email and
    per IP (ACCOUNT_RATE_LIMITS["login_failed"], shared with the sign-in page) and the
    password hasher runs even for unknown emails.
    """

    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    error_messages = {
        "invalid_login": INVALID_LOGIN_MESSAGE,
        "inactive": _("This account is disabled. Please contact us."),
    }

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None

    def clean(self):
        cleaned_data = super().clean()
        email, password = cleaned_data.get("email"), cleaned_data.get("password")
        if not email or not password:
            return cleaned_data
        # Raises a ValidationError itself when this email or IP has failed too often.
        user = get_account_adapter(self.request).authenticate(self.request, email=email, password=password)
        if user is None:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
        self.user = user
        return cleaned_data


class AccountDeleteForm(forms.Form):
    """The typed confirmation of "Delete my account": the word DELETE, so a slip cannot delete an account."""

    WORD = "DELETE"  # the same in every language, so the instruction can name it

    confirmation = forms.CharField(
        label=_("Type DELETE to confirm"),
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_confirmation(self):
        if self.cleaned_data["confirmation"] != self.WORD:
            raise forms.ValidationError(
                _("Type DELETE in capital letters to delete your account. Nothing was deleted."), code="mismatch"
            )
        return self.cleaned_data["confirmation"]
