// Small behaviours on top of htmx; every page works without them.
(function () {
  "use strict";

  // A form loaded into a <dialog> opens it; a saved change closes it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target.closest("dialog");
    if (dialog && !dialog.open) dialog.showModal();
  });

  // A form that comes back with errors brings its first one into view, with the focus
  // in its field: on a phone it may be far below what the form scrolled back to.
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.target;
    if (!root || !root.querySelector) return;
    var field = root.matches(".field.has-error") ? root : root.querySelector(".field.has-error");
    if (!field) return;
    field.scrollIntoView({ block: "center" });
    var input = field.querySelector("input, select, textarea");
    if (input) input.focus({ preventScroll: true });
  });

  document.addEventListener("tasksChanged", function (event) {
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
    var error = document.getElementById("live-error");
    if (error) error.remove();
    var notice = document.getElementById("live-notice");
    if (notice && event.detail && event.detail.notice) {
      notice.textContent = event.detail.notice;
      notice.hidden = false;
    }
  });

  // A row action the server refused (a file that is not a PDF or image, say): say why.
  document.addEventListener("tasksRefused", function (event) {
    var notice = document.getElementById("live-notice");
    if (!notice || !event.detail || !event.detail.notice) return;
    var error = document.getElementById("live-error");
    if (!error) {
      error = document.createElement("ul");
      error.id = "live-error";
      error.className = "messages";
      error.innerHTML = '<li class="error" role="alert"></li>';
      notice.parentNode.insertBefore(error, notice);
    }
    error.firstChild.textContent = event.detail.notice;
    notice.hidden = true;
  });

  // Close buttons inside dialogs.
  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    var dialog = closer && closer.closest("dialog");
    if (dialog) {
      event.preventDefault();
      dialog.close();
    }
  });
})();

// Only one row menu open at a time; a click elsewhere closes it.
document.addEventListener("click", function (event) {
  document.querySelectorAll("details.row-actions[open]").forEach(function (menu) {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});

// Behaviours asked for by data attributes, so that no page needs an inline handler
// (the Content-Security-Policy refuses them). Without JavaScript each control still
// works: the form submits without the question, the select waits for its button.
(function () {
  "use strict";

  // <button data-confirm="Delete it?"> (or <form data-confirm>): ask before submitting.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // <select data-autosubmit>: choosing an option submits its form.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
    }
  });

  // <input data-select-on-focus>: focusing selects the whole value, ready to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
      event.target.select();
    }
  });
})();

// The main menu on a narrow screen: the Menu button (a disclosure) shows and hides
// it; Escape or a click elsewhere closes it. The CSS hides the menu only while the
// button says it is closed and the screen is narrow; without JavaScript the
// noscript stylesheet shows it open instead (static/css/nojs.css).
(function () {
  "use strict";

  var button = document.querySelector("[data-menu-toggle]");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;

  function isOpen() {
    return button.getAttribute("aria-expanded") === "true";
  }

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  button.addEventListener("click", function () {
    setOpen(!isOpen());
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !isOpen()) return;
    var inside = menu.contains(document.activeElement) || document.activeElement === button;
    setOpen(false);
    // Focus was in the menu, which is now hidden: give it back to the button.
    if (inside) button.focus();
  });

  document.addEventListener("click", function (event) {
    if (isOpen() && !menu.contains(event.target) && !button.contains(event.target)) {
      setOpen(false);
    }
  });
})();

// A refused htmx request (403) answers with its explanation, which htmx puts in
// #page-alert (base.html, fleetmaint/error_pages.py): bring it into view. Under
// DEBUG, django-htmx's overlay would show it as a whole page instead; a listener
// in the capture phase runs first and keeps it for real faults.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 403 && xhr.getResponseHeader("HX-Retarget") === "#page-alert") {
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id === "page-alert") {
      event.detail.target.scrollIntoView({ block: "nearest" });
    }
  });
})();

// <button data-copy="#field" hidden>: copies the field's value and says so beside it
// (in the [data-copy-status] next to the button). Hidden until this script shows it,
// so without JavaScript nobody meets a button that does nothing.
(function () {
  "use strict";

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    var field = button && document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    var status = button.parentNode.querySelector("[data-copy-status]");
    function said(text) {
      if (status) status.textContent = text;
    }
    field.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(
        function () { said("Copied."); },
        function () { said("Press Ctrl+C (or \u2318C) to copy the selected address."); }
      );
    } else {
      said(document.execCommand("copy") ? "Copied." : "Press Ctrl+C to copy the selected address.");
    }
  });
})();

// <button data-print>: prints the page (the print stylesheet keeps only the record).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
