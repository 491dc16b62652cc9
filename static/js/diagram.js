// Renders the scenario graph (Mermaid text produced by scenarios.to_mermaid) as SVG.
/* global mermaid */
(function () {
  "use strict";
  if (typeof mermaid === "undefined") { return; }
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral",
    flowchart: { htmlLabels: true, useMaxWidth: false } });
  mermaid.run({ querySelector: "pre.mermaid" });
}());
