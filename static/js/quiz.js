/* 管家实训 quiz page: the countdown (the server enforces the limit; this only shows it), htmx handling
   of the quiz's refusals (409: time up / already submitted, 422: invalid), which carry a message to show,
   and 交卷 waiting for the answer being saved (a fill-in typed just before the click is saved first). */
(function () {
  "use strict";
  if (window.htmx) {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "409", swap: true, error: false },
      { code: "422", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false }
    ];
  }

  // -- 交卷 after the last answer is saved ---------------------------------------------------------
  // Answers save on "input delay:800ms" / "change"; a click on 交卷 right after typing would race the
  // save (the submission could be graded first and the answer lost). Track unsaved edits, wait for the
  // save in flight, save what is still unsaved, then submit.
  var unsaved = false;

  function answerForm() { return document.querySelector("#quiz-panel form.quiz-form"); }

  function markUnsaved(event) {
    var form = answerForm();
    if (form && form.contains(event.target)) { unsaved = true; }
  }
  // capture phase: runs before htmx's own listener, whose htmx:beforeRequest clears the flag
  document.addEventListener("input", markUnsaved, true);
  document.addEventListener("change", markUnsaved, true);
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target === answerForm()) { unsaved = false; }
  });

  function saveInFlight(form) {
    return new Promise(function (resolve) {
      if (!form.classList.contains("htmx-request")) { resolve(); return; }
      form.addEventListener("htmx:afterRequest", function () { resolve(); }, { once: true });
    });
  }

  document.addEventListener("submit", function (event) {
    var submit = event.target;
    var form = answerForm();
    if (!window.htmx || !form || !submit.matches("form.quiz-submit") || submit.dataset.answersSaved) { return; }
    event.preventDefault();
    var button = submit.querySelector("button[type=submit]");
    if (button) { button.disabled = true; button.textContent = "正在保存答案…"; }
    function handIn() {
      // the save's response replaces the overview (and this form) out of band: submit the live one
      var live = document.querySelector("form.quiz-submit") || submit;
      live.dataset.answersSaved = "1";
      live.submit();
    }
    saveInFlight(form).then(function () {
      if (!unsaved) { return null; }
      return htmx.ajax("POST", form.getAttribute("hx-post"), {
        source: form, target: "#quiz-save-status", swap: "innerHTML"
      });
    }).then(handIn, handIn);
  });

  var timer = document.querySelector(".quiz-timer[data-seconds-left]");
  if (!timer) { return; }
  var value = timer.querySelector(".quiz-timer-value");
  var end = Date.now() + parseInt(timer.getAttribute("data-seconds-left"), 10) * 1000;
  var expiredUrl = timer.getAttribute("data-expired-url");
  var done = false;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    value.textContent = pad(Math.floor(left / 60)) + ":" + pad(left % 60);
    timer.classList.toggle("quiz-timer-low", left <= 60);
    if (left === 0 && !done) {
      done = true;
      value.textContent = "时间到,正在交卷…";
      // a few seconds after the deadline the server closes the attempt and shows the results
      window.setTimeout(function () { window.location.assign(expiredUrl); }, 4000);
    }
  }

  tick();
  window.setInterval(tick, 1000);
})();
