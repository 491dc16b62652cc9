/* 管家实训 quiz page: the countdown (the server enforces the limit; this only shows it) and htmx handling
   of the quiz's refusals (409: time up / already submitted, 422: invalid), which carry a message to show. */
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
