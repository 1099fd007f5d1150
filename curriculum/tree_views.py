"""The framework tree as an editor: admin views over curriculum/structure.py, hooked into FrameworkAdmin
(curriculum/admin.py) by its get_urls. Every change is a POST (CSRF) that calls one service and comes
back to the tree with a message in the user's language; the drag and drop of
static/curriculum/tree_editor.js posts the same forms as the buttons."""

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext

from curriculum import structure
from curriculum.models import Framework, Section, Subsection

TEXT_FIELDS = {"section": "name", "subsection": "name", "outcome": "title"}
CHILD_KIND = {"framework": "section", "section": "subsection", "subsection": "outcome"}


def framework_editable(model_admin, request, framework) -> bool:
    """Whether the tree page offers the editor: a methodologist, a framework with no newer version."""
    return model_admin.has_change_permission(request, framework) and not Framework.objects.filter(
        previous_version=framework
    ).exists()


def _framework(model_admin, request, object_id) -> Framework:
    framework = model_admin.get_object(request, object_id)
    if framework is None:
        raise Http404
    if not model_admin.has_change_permission(request, framework):
        raise PermissionDenied
    return framework


def _node(framework, kind: str, pk: str):
    """A section, subsection or outcome of this framework (404 otherwise)."""
    if kind not in structure.KINDS or not str(pk).isdigit():
        raise Http404
    rows = structure.KINDS[kind].objects.all()
    if kind == "section":
        rows = rows.filter(framework=framework)
    elif kind == "subsection":
        rows = rows.filter(section__framework=framework).select_related("section__framework")
    else:
        rows = rows.filter(framework=framework).select_related("framework", "subsection__section")
    try:
        return rows.get(pk=int(pk))
    except rows.model.DoesNotExist:
        raise Http404 from None


def _ids(value: str) -> list[int]:
    return [int(part) for part in (value or "").split(",") if part.strip().isdigit()]


def _changes_message(changes) -> str:
    shown = ", ".join(f"{change.old_code} → {change.new_code}" for change in changes[:8])
    more = len(changes) - 8
    if more > 0:
        shown += " " + gettext("and %(count)s more") % {"count": more}
    return gettext("Codes changed: %(changes)s.") % {"changes": shown} if changes else gettext("No code changed.")


def _field_label(name: str) -> str:
    """A model field's name as the user knows it ("name (Russian)", not name_ru)."""
    for model in structure.KINDS.values():
        try:
            return capfirst(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return name


def _refusal_text(refusal: ValidationError) -> str:
    if hasattr(refusal, "error_dict"):
        return "; ".join(
            f"{_field_label(field)}: {' '.join(errors)}" if field != "__all__" else " ".join(errors)
            for field, errors in refusal.message_dict.items()
        )
    return " ".join(refusal.messages)


def _texts(kind: str, post) -> dict:
    field = TEXT_FIELDS[kind]
    return {f"{field}_ru": post.get("text_ru", ""), f"{field}_kz": post.get("text_kz", "")}


def _perform(framework, post) -> tuple[str, str | None]:
    """Carry out one POSTed operation; (message, anchor of the row to show)."""
    op, _sep, target = (post.get("op") or "").partition(":")
    kind, _sep, pk = target.partition(":") if target else (post.get("kind", ""), "", post.get("id", ""))
    if op == "reorder":
        structure.siblings_reorder(kind=kind, ids=[node.pk for node in (_node(framework, kind, pk) for pk in _ids(post.get("ids")))])
        return gettext("The new order is saved."), None
    if op == "add":
        if kind not in CHILD_KIND:
            raise Http404
        parent = framework if kind == "framework" else _node(framework, kind, pk)
        grade = post.get("grade", "")
        created = structure.node_add(
            parent=parent, code=post.get("code", "").strip() or None, grade=int(grade) if grade.isdigit() else None,
            **_texts(CHILD_KIND[kind], post),
        )
        return gettext("%(row)s added.") % {"row": created.code}, f"{structure.kind_of(created)}-{created.pk}"
    node = _node(framework, kind, pk)
    anchor = f"{kind}-{node.pk}"
    if op in ("up", "down"):
        structure.sibling_step(node=node, step=-1 if op == "up" else 1)
        return gettext("The new order is saved."), anchor
    if op == "edit":
        structure.node_edit(node=node, **_texts(kind, post))
        return gettext("%(row)s saved.") % {"row": node.code}, anchor
    if op in ("deactivate", "activate"):
        structure.node_set_active(node=node, active=op == "activate")
        message = gettext("%(row)s deactivated.") if op == "deactivate" else gettext("%(row)s activated again.")
        return message % {"row": node.code}, anchor
    if op == "move":
        parent_kind = "section" if kind == "subsection" else "subsection"
        parent = _node(framework, parent_kind, post.get("parent", ""))
        changes = structure.node_move(node=node, parent=parent, order=_ids(post.get("ids")) or None)
        return _changes_message(changes), anchor
    raise ValidationError(gettext("Unknown operation."))


def tree_structure_view(model_admin, request, object_id):
    """POST: one change of the tree (reorder, up/down, move, add, edit, (de)activate), then back to it."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    framework = _framework(model_admin, request, object_id)
    tree_url = reverse("admin:curriculum_framework_tree", args=[framework.pk])
    try:
        text, anchor = _perform(framework, request.POST)
    except ValidationError as refusal:
        model_admin.message_user(request, gettext("Not saved: %(reason)s") % {"reason": _refusal_text(refusal)}, messages.ERROR)
        anchor = None
    except PermissionDenied as refusal:
        model_admin.message_user(request, str(refusal) or gettext("You are not allowed to change this content."), messages.ERROR)
        anchor = None
    else:
        model_admin.message_user(request, text, messages.SUCCESS)
    return HttpResponseRedirect(f"{tree_url}#{anchor}" if anchor else tree_url)


def tree_renumber_view(model_admin, request, object_id):
    """Renumber a section or subsection (or move a subsection to another section): the new code, a
    preview of every code that changes, then (POST with confirm) the change in one transaction."""
    framework = _framework(model_admin, request, object_id)
    data = request.POST if request.method == "POST" else request.GET
    kind, _sep, pk = (data.get("node") or "").partition(":")
    if kind not in ("section", "subsection"):
        raise Http404
    node = _node(framework, kind, pk)
    new_code = (data.get("code") or "").strip()
    section = _node(framework, "section", data["section"]) if kind == "subsection" and data.get("section") else None
    moving = section is not None and section.pk != node.section_id
    tree_url = reverse("admin:curriculum_framework_tree", args=[framework.pk])
    changes, error = None, None
    if new_code or moving:
        confirmed = request.method == "POST" and data.get("confirm")
        try:
            if moving:
                action = structure.node_move if confirmed else structure.node_move_preview
                changes = action(node=node, parent=section, code=new_code or None)
            else:
                action = structure.branch_renumber if confirmed else structure.branch_renumber_preview
                changes = action(node=node, new_code=new_code)
            if confirmed:
                model_admin.message_user(request, _changes_message(changes), messages.SUCCESS)
                return HttpResponseRedirect(f"{tree_url}#{kind}-{node.pk}")
        except ValidationError as refusal:
            error = _refusal_text(refusal)
        except PermissionDenied as refusal:
            error = str(refusal)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": framework,
        "title": gettext("Renumber %(row)s") % {"row": f"{node.code}. {node.name_ru}"},
        "node": node,
        "node_ref": f"{kind}:{node.pk}",
        "node_anchor": f"{kind}-{node.pk}",
        "new_code": new_code,
        "sections": Section.objects.filter(framework=framework).order_by("display_order", "code_sort") if kind == "subsection" else None,
        "section": section or getattr(node, "section", None),
        "changes": changes,
        "error": error,
        "tree_url": tree_url,
        "language_kz": request.LANGUAGE_CODE == "kk",
    }
    return TemplateResponse(request, "admin/curriculum/framework/tree_renumber.html", context)


def tree_editor_context(framework) -> dict:
    """What the editor adds to the tree page: the parents a subsection or outcome can move to."""
    sections = list(Section.objects.filter(framework=framework).order_by("display_order", "code_sort"))
    subsections = list(
        Subsection.objects.filter(section__framework=framework).order_by("section__display_order", "section__code_sort", "display_order", "code_sort")
    )
    return {"editable": True, "parent_sections": sections, "parent_subsections": subsections}

