// Small behaviours on top of htmx; every page works without them.
(function () {
  "use strict";

  // A form loaded into a <dialog> opens it; a saved change closes it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = event.detail.target.closest("dialog");
    if (dialog && !dialog.open) dialog.showModal();
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
