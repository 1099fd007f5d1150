"""Admin pages for framework versions: create the next version of a framework, and review the
proposed links between its outcomes and the previous version's. Thin views over
curriculum/versions.py, hooked into FrameworkAdmin (curriculum/admin.py) by its get_urls."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _

from curriculum.models import Framework, OutcomeVersionLink
from curriculum.versions import (
    framework_new_version, framework_versions, version_compare, version_line, version_links_decide, version_links_propose,
    version_review,
)


class NewVersionForm(forms.Form):
    code = forms.CharField(label=_("code of the new version"), max_length=100)
    title_ru = forms.CharField(label=_("title (Russian)"), max_length=500)
    title_kz = forms.CharField(label=_("title (Kazakh)"), max_length=500, required=False)
    order_number = forms.CharField(label=_("amending order number"), max_length=50)
    order_date = forms.DateField(label=_("order date"))
    valid_from = forms.DateField(
        label=_("valid from"), required=False, help_text=_("Empty: the order's date. The current version ends the day before."),
    )


def _methodologist_framework(model_admin, request, object_id):
    framework = model_admin.get_object(request, object_id)  # 404 when it does not exist
    if not model_admin.has_change_permission(request, framework):
        raise PermissionDenied
    return framework


def _page(model_admin, request, framework, template, title, **extra):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": framework,
        "title": title,
        **extra,
    }
    return TemplateResponse(request, f"admin/curriculum/framework/{template}", context)


def new_version_view(model_admin, request, object_id):
    framework = _methodologist_framework(model_admin, request, object_id)
    initial = {"title_ru": framework.title_ru, "title_kz": framework.title_kz}
    form = NewVersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            new = framework_new_version(framework=framework, **form.cleaned_data)
        except ValidationError as refusal:
            if hasattr(refusal, "error_dict"):
                for field, errors in refusal.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, refusal)
        else:
            model_admin.log_addition(request, new, [{"added": {}}])
            model_admin.message_user(
                request,
                gettext("Version %(code)s was created with every section, subsection and outcome of %(old)s. "
                        "Edit it, then review the links between the two versions.") % {"code": new.code, "old": framework.code},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:curriculum_framework_version_links", args=[new.pk]))
    return _page(
        model_admin, request, framework, "new_version.html",
        gettext("New version of %(framework)s") % {"framework": framework.code}, form=form,
    )


DECISIONS = {
    "accept": OutcomeVersionLink.Status.ACCEPTED,
    "reject": OutcomeVersionLink.Status.REJECTED,
    "undecide": OutcomeVersionLink.Status.PROPOSED,
}


def version_links_view(model_admin, request, object_id):
    """The links of a new version to its previous one: accept or reject the selected ones, accept
    every unchanged same-code link at once, or propose again after editing the new version."""
    framework = _methodologist_framework(model_admin, request, object_id)
    try:
        review = version_review(framework=framework)
    except ValidationError as refusal:
        model_admin.message_user(request, " ".join(refusal.messages), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:curriculum_framework_change", args=[framework.pk]))
    if request.method == "POST":
        links = OutcomeVersionLink.objects.filter(new_outcome__framework=framework)
        action = request.POST.get("action")
        if action == "propose":
            proposed = version_links_propose(framework=framework)
            text = gettext("%(count)s links proposed.") % {"count": len(proposed)}
        elif action == "accept_identical":
            identical = links.filter(
                status=OutcomeVersionLink.Status.PROPOSED, kind=OutcomeVersionLink.Kind.SAME_CODE, similarity=1
            )
            decided = version_links_decide(links=identical, status=OutcomeVersionLink.Status.ACCEPTED, user=request.user)
            text = gettext("%(count)s unchanged links accepted.") % {"count": decided}
        elif action in DECISIONS:
            chosen = links.filter(pk__in=[value for value in request.POST.getlist("link") if value.isdigit()])
            decided = version_links_decide(links=chosen, status=DECISIONS[action], user=request.user)
            text = gettext("%(count)s links updated.") % {"count": decided}
        else:
            text = None
        if text:
            model_admin.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(request.get_full_path())
    return _page(
        model_admin, request, framework, "version_links.html",
        gettext("Links from %(old)s to %(new)s") % {"old": review.previous.code, "new": framework.code}, review=review,
    )


def version_compare_view(model_admin, request, object_id):
    """This version against another version of the same framework (?with=; default: the previous
    one, else the next): outcomes added, removed, changed and renumbered. Everyone who reads GOSO."""
    framework = model_admin.get_object(request, object_id)
    if not model_admin.has_view_permission(request, framework):
        raise PermissionDenied
    versions = framework_versions()
    others = [versions[framework_id] for framework_id in version_line(framework_id=framework.pk, versions=versions) if framework_id != framework.pk]
    chosen = request.GET.get("with", "")
    default = versions[framework.pk].previous_id or versions[framework.pk].next_id
    other_id = int(chosen) if chosen.isdigit() else default
    comparison = error = None
    if other_id is None:
        error = gettext("“%(framework)s” has no other version to compare with.") % {"framework": framework.code}
    else:
        other = model_admin.get_object(request, str(other_id))
        try:
            comparison = version_compare(old=framework, new=other)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
    return _page(
        model_admin, request, framework, "compare.html",
        gettext("Compare versions of %(framework)s") % {"framework": framework.code},
        comparison=comparison, error=error, others=others, other_id=other_id, versions=versions,
        old_label=comparison and versions[comparison.old.pk].label, new_label=comparison and versions[comparison.new.pk].label,
    )
