// Scenario play page: Enter sends (Shift+Enter for a new line, never during IME composition),
// the send button is disabled while a reply is in flight, and timed nodes show a countdown.
// The countdown is display only: when it reaches zero the page asks the server, which applies the
// timeout rule only if its own clock agrees (otherwise it answers 204 with the time it still allows).
(function () {
  "use strict";

  var countdownTimer = null;

  function panel() {
    return document.getElementById("play-panel");
  }

  function setSending(form, sending) {
    form.dataset.sending = sending ? "1" : "";
    var button = form.querySelector("[data-send]");
    if (button) {
      button.disabled = sending;
      button.textContent = sending ? "发送中…" : "发送";
    }
  }

  function setupForm(form) {
    if (form.dataset.ready) return;
    form.dataset.ready = "1";
    var box = form.querySelector("textarea");
    var composing = false;
    box.addEventListener("compositionstart", function () { composing = true; });
    box.addEventListener("compositionend", function () { composing = false; });
    box.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey) return;
      // keyCode 229: some browsers report the IME's confirming Enter this way.
      if (event.isComposing || composing || event.keyCode === 229) return;
      event.preventDefault();
      if (form.dataset.sending) return;
      if (box.value.trim() === "") return;
      form.requestSubmit();
    });
    form.addEventListener("htmx:beforeRequest", function (event) {
      if (event.detail.elt === form) setSending(form, true);
    });
    form.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt !== form) return;
      setSending(form, false);
      var problem = form.querySelector("[data-play-error]");
      if (!problem) return;
      // Nothing was swapped on a failure, so the typed reply is still in the box: say so.
      problem.hidden = event.detail.successful;
      if (!event.detail.successful) {
        var status = event.detail.xhr ? event.detail.xhr.status : 0;
        problem.textContent = status === 400
          ? "页面已过期,请刷新页面后重新发送(您输入的内容仍在输入框中)。"
          : "发送失败,请检查网络后重试(您输入的内容仍在输入框中)。";
      }
    });
    form.addEventListener("submit", function () {
      // Without htmx the browser posts the form itself; still block a second click.
      if (typeof window.htmx === "undefined") setSending(form, true);
    });
    box.focus({ preventScroll: true });
  }

  function startCountdown(element, remaining) {
    if (countdownTimer !== null) clearInterval(countdownTimer);
    countdownTimer = null;
    if (!element) return;
    var limit = parseFloat(element.dataset.limit) || 1;
    var deadline = performance.now() + Math.max(0, remaining) * 1000;
    var value = element.querySelector("[data-countdown-value]");
    var fill = element.querySelector(".countdown-fill");
    function tick() {
      var left = Math.max(0, (deadline - performance.now()) / 1000);
      value.textContent = String(Math.ceil(left));
      if (fill) fill.style.width = (100 * left / limit).toFixed(1) + "%";
      element.classList.toggle("urgent", left <= Math.min(10, limit / 3));
      if (left <= 0) {
        clearInterval(countdownTimer);
        countdownTimer = null;
        element.classList.add("expired");
        value.textContent = "0";
        window.htmx.trigger(element, "play-expire");
      }
    }
    tick();
    countdownTimer = setInterval(tick, 200);
  }

  function setupPanel() {
    var root = panel();
    if (!root) {
      startCountdown(null, 0);
      return;
    }
    var form = root.querySelector("form[data-play-form]");
    if (form) setupForm(form);
    var countdown = root.querySelector("[data-countdown]");
    startCountdown(countdown, countdown ? parseFloat(countdown.dataset.remaining) || 0 : 0);
    var chat = root.querySelector(".chat");
    var current = root.querySelector("[data-current-line]") || (chat && chat.lastElementChild);
    if (current && root.dataset.swapped) current.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    // The server did not agree the time was up yet: re-arm with the time it still allows.
    var element = event.detail.elt;
    if (!element || !element.hasAttribute || !element.hasAttribute("data-countdown")) return;
    if (event.detail.xhr && event.detail.xhr.status === 204) {
      var remaining = parseFloat(event.detail.xhr.getResponseHeader("X-Play-Remaining")) || 0;
      element.classList.remove("expired");
      startCountdown(element, remaining + 0.25);
    }
  });

  document.addEventListener("htmx:load", function (event) {
    if (event.detail.elt && event.detail.elt.id === "play-panel") {
      event.detail.elt.dataset.swapped = "1";
      setupPanel();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupPanel);
  } else {
    setupPanel();
  }
})();
