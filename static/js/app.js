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
    var notice = document.getElementById("live-notice");
    if (notice && event.detail && event.detail.notice) {
      notice.textContent = event.detail.notice;
      notice.hidden = false;
    }
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
