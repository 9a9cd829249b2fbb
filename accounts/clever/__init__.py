"""Log in with Clever: our django-allauth provider (Clever API v2.0/v2.1), and the pages that
turn a new Clever identity into an account (merge into an existing one, or create one)."""
