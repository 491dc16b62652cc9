// 情景编写: draws the draft's graph (Mermaid text from scenarios.authoring.draft_mermaid) and
// redraws it whenever htmx swaps in a newly saved workspace. No inline script (the CSP forbids it).
/* global mermaid, htmx */
(function () {
  "use strict";
  var ready = false;

  function draw() {
    if (typeof mermaid === "undefined") { return; }
    if (!ready) {
      mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral",
        flowchart: { htmlLabels: true, useMaxWidth: true } });
      ready = true;
    }
    var pending = document.querySelectorAll("pre.mermaid:not([data-processed])");
    if (pending.length) { mermaid.run({ nodes: pending }); }
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);

  // While a save is in flight the button says so and cannot be pressed twice.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "draft-form") { return; }
    var button = form.querySelector("[data-author-save]");
    if (button) { button.disabled = true; button.textContent = "保存中…"; }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "draft-form") { return; }
    var button = form.querySelector("[data-author-save]");
    if (button) { button.disabled = false; button.textContent = "保存草稿"; }
  });
}());
