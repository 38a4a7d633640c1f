from django.apps import AppConfig


class TestimoniesConfig(AppConfig):
    name = "testimonies"
    verbose_name = "Testimonies"
