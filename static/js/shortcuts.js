// Keyboard shortcuts, and the arrow keys in the header search's suggestions.
// The keys and where they lead are the links of the shortcuts dialog
// (templates/search/_shortcuts.html): "?" opens it, "/" goes to the search field,
// "g" then a letter opens a page. Keys typed into a field are left to the field.
// Every page works without this file.
(function () {
  "use strict";

  var dialog = document.getElementById("shortcuts");
  var search = document.getElementById("topsearch-q");
  var panel = document.getElementById("search-suggestions");
  var status = document.getElementById("topsearch-status");
  var SECOND_KEY_MS = 1500;
  var first = "";
  var firstTimer = null;
  var opener = null;

  var NOT_TYPED = ["checkbox", "radio", "button", "submit", "reset", "file", "range", "color"];

  function isTyping(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable || target.closest("textarea, select, [contenteditable]")) return true;
    var input = target.closest("input");
    return !!input && NOT_TYPED.indexOf(input.type) === -1;
  }

  function forgetFirst() {
    first = "";
    if (firstTimer) clearTimeout(firstTimer);
    firstTimer = null;
  }

  function openShortcuts() {
    if (!dialog || dialog.open) return;
    opener = document.activeElement;
    dialog.showModal();
  }

  function closeShortcuts() {
    if (dialog && dialog.open) dialog.close();
  }

  if (dialog) {
    dialog.addEventListener("close", function () {
      if (opener && opener.focus && document.contains(opener)) opener.focus();
      opener = null;
    });
    // A click on the backdrop (outside the dialog's box) closes it too.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) closeShortcuts();
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcuts-open]")) openShortcuts();
  });
  document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
    button.hidden = false;
  });

  function follow(keys) {
    var link = dialog && dialog.querySelector('[data-shortcut="' + keys + '"]');
    if (!link) return false;
    closeShortcuts();
    window.location.assign(link.href);
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.length !== 1 || isTyping(event.target)) return;
    // Another dialog (a form, say) has the page's attention.
    if (document.querySelector("dialog[open]:not(#shortcuts)")) return;
    var key = event.key;
    if (first) {
      var keys = first + key.toLowerCase();
      forgetFirst();
      if (follow(keys)) event.preventDefault();
      return;
    }
    if (key === "?") {
      event.preventDefault();
      if (dialog && dialog.open) closeShortcuts();
      else openShortcuts();
    } else if (key === "/" && search) {
      event.preventDefault();
      closeShortcuts();
      search.focus();
      search.select();
    } else if (key === "g") {
      first = "g";
      firstTimer = setTimeout(forgetFirst, SECOND_KEY_MS);
    }
  });

  // --- the header search's suggestions -------------------------------------------------
  if (!search || !panel) return;

  function suggestions() {
    return Array.prototype.slice.call(panel.querySelectorAll("[data-suggestion]"));
  }

  function hideSuggestions() {
    panel.innerHTML = "";
    if (status) status.textContent = "";
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target !== panel) return;
    var summary = panel.querySelector("[data-summary]");
    if (status) status.textContent = summary ? summary.getAttribute("data-summary") : "";
  });

  search.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && suggestions().length) {
      event.preventDefault();
      suggestions()[0].focus();
    } else if (event.key === "Escape" && panel.innerHTML.trim()) {
      event.preventDefault();
      hideSuggestions();
    }
  });

  panel.addEventListener("keydown", function (event) {
    var links = suggestions();
    var at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < links.length - 1) {
      event.preventDefault();
      links[at + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (at > 0 ? links[at - 1] : search).focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      hideSuggestions();
      search.focus();
    }
  });

  // Leaving the search (a click or Tab elsewhere) closes its suggestions.
  search.form.addEventListener("focusout", function (event) {
    if (!event.relatedTarget || !search.form.contains(event.relatedTarget)) {
      setTimeout(function () {
        if (!search.form.contains(document.activeElement)) hideSuggestions();
      }, 150);
    }
  });
})();
