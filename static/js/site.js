/*
 * The site's only script, and every page works without it. It adds three things:
 *
 * 1. Forms submit once. A submit button with data-busy-text (one that waits on Clever) then
 *    shows that text ("Creating your account…") and a spinner, and is disabled, so a slow
 *    Clever is visibly at work and a second click sends nothing.
 * 2. After a refused submit, focus moves to the error summary ([data-error-summary]), so a
 *    screen reader reads what went wrong first.
 * 3. A filter box ([data-filter]) narrows a long list as the teacher types; the same box
 *    filters on the server when submitted without JavaScript.
 *
 * Loaded with <script defer> from base.html: no inline scripts or handlers (the
 * Content-Security-Policy allows none).
 */
(function () {
  "use strict";

  // --- 1. Submit once; busy buttons say what is happening ----------------------------------
  var UNLOCK_AFTER_MS = 30000; // a submit that never led anywhere (stopped, lost): usable again

  function announce(text) {
    // base.html holds the (empty) live region from the start, so screen readers hear the change.
    var region = document.getElementById("busy-status");
    if (region) {
      region.textContent = text;
    }
  }

  function unlock(form) {
    delete form.dataset.submitting;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button.is-busy").forEach(function (button) {
      button.textContent = button.dataset.idleText || button.textContent;
      button.classList.remove("is-busy");
      button.disabled = false;
    });
    announce("");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") {
      return;
    }
    if (form.dataset.submitting === "true") {
      event.preventDefault(); // the first submit is on its way
      return;
    }
    form.dataset.submitting = "true";
    form.setAttribute("aria-busy", "true");
    var button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
    if (button && button.dataset.busyText) {
      button.dataset.idleText = button.textContent;
      button.textContent = button.dataset.busyText;
      button.classList.add("is-busy");
      announce(button.dataset.busyText);
      // Disabled only once the browser has read the form, so the button's own value is still sent.
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
    window.setTimeout(function () { unlock(form); }, UNLOCK_AFTER_MS);
  });

  // Back to a page from the browser's cache: its forms can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-submitting]").forEach(unlock);
  });

  // --- 2. Focus the error summary -------------------------------------------------------------
  function focusErrors() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary && document.activeElement !== summary) {
      summary.focus();
    }
  }

  // --- 3. Filter a long list as the teacher types ----------------------------------------------
  var LETTERS = { "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h" };

  function fold(text) {
    // The same folding as the server's (rosters.names): accents and case set aside.
    return text.toLowerCase().replace(/[øæœßłđðþıħ]/g, function (letter) { return LETTERS[letter]; })
      .normalize("NFKD").replace(/\p{M}/gu, "");
  }

  function setUpFilter(input) {
    var list = document.getElementById(input.dataset.filter);
    var counter = document.getElementById(input.dataset.filterCount);
    if (!list) {
      return;
    }
    if (input.value.trim()) {
      return; // the server filtered this page: its count and "Show all" stay; typing then submits again
    }
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-filter-text]"));
    var template = counter ? counter.dataset.template : "";
    var run = function () {
      var query = fold(input.value.trim());
      var shown = 0;
      items.forEach(function (item) {
        var match = !query || fold(item.dataset.filterText).indexOf(query) !== -1;
        item.hidden = !match;
        shown += match ? 1 : 0;
      });
      if (counter && template) {
        counter.textContent = query ? template.replace("{shown}", shown).replace("{total}", items.length) : "";
      }
    };
    // Only once the teacher types: until then the list (and its count) is the server's.
    input.addEventListener("input", run);
  }

  function ready() {
    focusErrors();
    document.querySelectorAll("input[data-filter]").forEach(setUpFilter);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
