// Conveniences of the bulk alignment grid (the form works without them): typing a confidence ticks
// the cell, a ticked cell is shaded, the focused cell's column header is marked, and the number of
// unsaved changes is shown next to the save button.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("alignment-grid-form");
    if (!form) {
        return;
    }
    const dirty = form.querySelector(".grid-dirty");
    const heads = form.querySelectorAll("thead tr.codes th");
    const cells = Array.from(form.querySelectorAll("tbody td"));
    const state = function (cell) {
        return cell.querySelector("input[type=checkbox]").checked + "|" + cell.querySelector("input[type=number]").value;
    };
    const initial = new Map(cells.map(function (cell) { return [cell, state(cell)]; }));

    function refresh(cell) {
        cell.classList.toggle("ticked", cell.querySelector("input[type=checkbox]").checked);
        if (dirty) {
            const changed = cells.filter(function (item) { return state(item) !== initial.get(item); }).length;
            dirty.textContent = changed ? dirty.dataset.template.replace("%(count)s", changed) : "";
        }
    }

    form.addEventListener("input", function (event) {
        const cell = event.target.closest("td");
        if (!cell) {
            return;
        }
        if (event.target.type === "number" && event.target.value !== "") {
            cell.querySelector("input[type=checkbox]").checked = true;
        }
        refresh(cell);
    });
    form.addEventListener("change", function (event) {
        const cell = event.target.closest("td");
        if (cell) {
            refresh(cell);
        }
    });
    form.addEventListener("focusin", function (event) {
        const cell = event.target.closest("td");
        heads.forEach(function (head) {
            head.classList.toggle("current", cell !== null && head.dataset.column === cell.dataset.column);
        });
    });
});
