"""The project's own AdminSite (config.admin.GosoAdminSite), installed as Django's default site."""

from django.contrib import admin
from django.test import RequestFactory

from config.admin import GosoAdminSite


def test_the_default_site_is_the_projects_own_not_a_patched_one():
    assert isinstance(admin.site, GosoAdminSite)  # admin.site is a lazy proxy of the default site
    assert type(admin.site._wrapped) is GosoAdminSite
    assert "get_app_list" not in vars(admin.site._wrapped)  # no instance attribute replacing the method


def test_the_app_list_follows_the_working_order(methodologist):
    request = RequestFactory().get("/admin/")
    request.user = methodologist

    app_list = admin.site.get_app_list(request)
    models = [entry["model"] for app in app_list for entry in app["models"]]
    orders = [getattr(admin.site._registry[model], "menu_order", 1000) for model in models]

    assert len(models) >= 11
    assert orders == sorted(orders)
    assert [app["app_label"] for app in app_list][:3] == ["curriculum", "textbooks", "tenants"]


def test_the_index_page_shows_the_sites_titles(client, methodologist):
    client.force_login(methodologist)

    page = client.get("/en/admin/").content.decode()

    assert "<title>Standards, textbooks and alignments | GOSO Curriculum</title>" in page
    assert ">GOSO Curriculum<" in page
