"""The product's own account pages (allauth's live under /accounts/)."""

app_name = "accounts"
urlpatterns = []
