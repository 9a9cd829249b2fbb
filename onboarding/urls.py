app_name = "onboarding"
urlpatterns = []
