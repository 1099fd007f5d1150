// The external framework tree's search box: shows the items whose code or text contains what is typed,
// with their ancestors (opened), and hides the rest. A static file: the Content-Security-Policy forbids
// inline scripts.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("external-tree-search");
  const tree = document.getElementById("external-tree");
  if (!input || !tree) return;
  const nodes = Array.from(tree.querySelectorAll("li.external-node"));
  input.addEventListener("input", () => {
    const wanted = input.value.trim().toLowerCase();
    nodes.forEach((node) => node.classList.toggle("hidden", Boolean(wanted)));
    if (!wanted) return;
    nodes.forEach((node) => {
      if (!node.dataset.search.includes(wanted)) return;
      for (let at = node; at && at !== tree; at = at.parentElement) {
        if (at.matches("li.external-node")) at.classList.remove("hidden");
        if (at.tagName === "DETAILS") at.open = true;
      }
    });
  });
});
