/* The framework tree's editor (tree_editor.html): the dialog for edit / add / move, and drag and drop
   with SortableJS (vendor/sortablejs). Every change is posted as the same form the buttons post
   (curriculum/tree_views.py), then the page reloads to show the new codes and the message. */
(function () {
  "use strict";

  var dialog = document.getElementById("goso-node-dialog");
  var form = document.getElementById("goso-node-form");
  var stepForm = document.getElementById("goso-step-form");
  if (!dialog || !form || !stepForm) return;
  var opener = null;

  function show(names, element) {
    var visible = names.split(" ");
    element.querySelectorAll("[data-for]").forEach(function (part) {
      var on = part.getAttribute("data-for").split(" ").some(function (name) { return visible.indexOf(name) >= 0; });
      part.hidden = !on;
      part.querySelectorAll("input, select, textarea").forEach(function (field) { field.disabled = !on; });
    });
  }

  function openDialog(button) {
    var op = button.dataset.op, kind = button.dataset.kind;
    opener = button;
    form.elements.op.value = op;
    form.elements.kind.value = kind;
    form.elements.id.value = button.dataset.id;
    document.getElementById("goso-dialog-title").textContent = button.dataset.title || "";
    show(op, form);
    var gradeRow = form.querySelector("[data-for-kind]");
    if (gradeRow) {
      var onGrade = op === "add" && kind === gradeRow.getAttribute("data-for-kind");
      gradeRow.hidden = !onGrade;
      gradeRow.querySelector("select").disabled = !onGrade;
    }
    form.elements.text_ru.required = op !== "move";
    form.elements.text_ru.value = op === "edit" ? button.dataset.textRu || "" : "";
    form.elements.text_kz.value = op === "edit" ? button.dataset.textKz || "" : "";
    form.elements.code.value = "";
    if (op === "move") {
      var select = form.elements.parent;
      var choices = document.getElementById("goso-parents-" + kind);
      select.replaceChildren(choices.content.cloneNode(true));
      select.value = button.dataset.parent;
      select.required = true;
    }
    dialog.showModal();
    var first = form.querySelector("[data-for]:not([hidden]) textarea, [data-for]:not([hidden]) select");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".goso-open-dialog");
    if (button) { event.preventDefault(); openDialog(button); return; }
    if (event.target.closest(".goso-close-dialog")) dialog.close();
  });
  dialog.addEventListener("close", function () { if (opener) opener.focus(); });

  /* Each row's buttons: a copy of #goso-tools with its kind, id and code (one copy in the page, not one per row). */
  var toolsTemplate = document.getElementById("goso-tools");
  document.querySelectorAll(".goso-node-tools").forEach(function (tools) {
    var row = tools.dataset;
    var fragment = toolsTemplate.content.cloneNode(true);
    fragment.querySelectorAll("[data-kinds], [data-state]").forEach(function (element) {
      var kinds = element.getAttribute("data-kinds"), state = element.getAttribute("data-state");
      if ((kinds && kinds.split(" ").indexOf(row.kind) < 0) || (state && state !== (row.active ? "active" : "inactive"))) {
        element.remove();
      }
    });
    fragment.querySelectorAll("*").forEach(function (element) {
      Array.prototype.forEach.call(element.attributes, function (attribute) {
        if (attribute.value.indexOf("__") >= 0) {
          attribute.value = attribute.value.replace(/__KIND__/g, row.kind).replace(/__ID__/g, row.id).replace(/__CODE__/g, row.code);
        }
      });
    });
    var edit = fragment.querySelector("[data-op=edit]");
    edit.dataset.textRu = row.textRu;
    edit.dataset.textKz = row.textKz;
    var move = fragment.querySelector("[data-op=move]");
    if (move) move.dataset.parent = row.parent;
    tools.setAttribute("aria-label", toolsTemplate.dataset.groupLabel.replace(/__CODE__/g, row.code));
    tools.appendChild(fragment);
  });

  /* Keyboard: every item is focusable; Alt+ArrowUp / Alt+ArrowDown move it among its siblings. */
  document.querySelectorAll(".goso-node-tools").forEach(function (tools) {
    var item = tools.parentElement;
    item.tabIndex = 0;
    item.setAttribute("aria-keyshortcuts", "Alt+ArrowUp Alt+ArrowDown");
    item.addEventListener("keydown", function (event) {
      if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown") || event.target !== item) return;
      event.preventDefault();
      tools.querySelector("button[value^='" + (event.key === "ArrowUp" ? "up:" : "down:") + "']").click();
    });
  });

  /* Drag and drop: post one operation, then reload (the server answers with a redirect to the tree). */
  function post(fields) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", stepForm.elements.csrfmiddlewaretoken.value);
    Object.keys(fields).forEach(function (name) { data.append(name, fields[name]); });
    document.body.setAttribute("aria-busy", "true");
    fetch(stepForm.action, { method: "POST", body: data, credentials: "same-origin", redirect: "manual" })
      .finally(function () { window.location.reload(); });
  }

  function ids(container, selector) {
    return Array.prototype.map.call(container.querySelectorAll(selector), function (item) { return item.dataset.id; }).join(",");
  }

  function onEnd(kind, parentAttribute, itemSelector) {
    return function (event) {
      if (event.from === event.to && event.oldIndex === event.newIndex) return;
      var item = event.item;
      var order = ids(event.to, itemSelector);
      if (event.from === event.to) {
        post({ op: "reorder", kind: kind, ids: order });
      } else {
        post({ op: "move", kind: kind, id: item.dataset.id, parent: event.to.getAttribute(parentAttribute), ids: order });
      }
    };
  }

  if (typeof window.Sortable !== "function") return;  // without it, the buttons still do everything
  var common = { handle: ".goso-handle", ghostClass: "goso-ghost", animation: 120 };
  var main = document.getElementById("content-main");
  window.Sortable.create(main, Object.assign({}, common, {
    draggable: "table.goso-tree", onEnd: onEnd("section", null, ":scope > table.goso-tree")
  }));
  document.querySelectorAll(".goso-tree tbody[data-section]").forEach(function (body) {
    window.Sortable.create(body, Object.assign({}, common, {
      group: "subsections", draggable: "tr[data-kind=subsection]",
      onEnd: onEnd("subsection", "data-section", ":scope > tr[data-kind=subsection]")
    }));
  });
  document.querySelectorAll(".goso-tree ul[data-subsection]").forEach(function (list) {
    // An outcome stays in its grade's column: its code starts with the grade.
    var column = list.closest("td").cellIndex;
    window.Sortable.create(list, Object.assign({}, common, {
      group: "outcomes-" + column, draggable: "li[data-kind=outcome]",
      onEnd: onEnd("outcome", "data-subsection", ":scope > li[data-kind=outcome]")
    }));
  });
})();
