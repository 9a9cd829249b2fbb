"""Where django-allauth's provider registry finds our Clever provider (it imports `<app>.provider`)."""

from .clever.provider import CleverProvider

provider_classes = [CleverProvider]
