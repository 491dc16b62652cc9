/* HR reports: a 422 answer (bad filters, refused export) carries a Chinese message; htmx shows it
   instead of dropping it, as it does by default for 4xx answers. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
