// Small behaviours on top of htmx; the console works without them.
(function () {
  "use strict";

  function showToast(text) {
    var toast = document.getElementById("toast");
    if (!toast) return;
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(toast.dataset.timer);
    toast.dataset.timer = setTimeout(function () { toast.hidden = true; }, 6000);
  }

  // An HTMX request refused by the server (403, 404 ...): say why instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    showToast((doc.body && doc.body.textContent.trim()) || xhr.status + " " + xhr.statusText);
  });

  document.addEventListener("htmx:sendError", function () {
    var toast = document.getElementById("toast");
    showToast(toast ? toast.dataset.offline : "");
  });

  // Plain forms that ask before doing something that cannot be undone.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-dismiss]");
    if (close) close.parentElement.remove();
    // A copy button: put the text of its target on the clipboard, and say so.
    var copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      var source = document.querySelector(copy.dataset.copy);
      if (source) navigator.clipboard.writeText(source.textContent.trim()).then(function () { showToast(copy.dataset.copied); });
    }
    // A click outside an open tag picker closes it.
    document.querySelectorAll("details.picker[open]").forEach(function (picker) {
      if (!picker.contains(event.target)) picker.open = false;
    });
  });

  // The customer list: "select all on this page", and how many are selected.
  function countSelected() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) return;
    var n = document.querySelectorAll('input[name="customer_ids"]:checked').length;
    label.textContent = n ? label.dataset.some.replace("#", n) : label.dataset.none;
    label.classList.toggle("some", n > 0);
    var all = document.querySelector("[data-check-all]");
    var boxes = document.querySelectorAll('input[name="customer_ids"]');
    if (all) {
      all.checked = boxes.length > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  }

  // A picker's button shows how many of its tags are chosen.
  function countPicked(picker) {
    var summary = picker.querySelector("summary");
    var n = picker.querySelectorAll("input:checked").length;
    var badge = summary.querySelector(".count");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "count";
      summary.appendChild(badge);
    }
    badge.textContent = n;
    badge.hidden = n === 0;
    summary.classList.toggle("picked", n > 0);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-check-all]")) {
      document.querySelectorAll('input[name="' + target.dataset.checkAll + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches('[data-check-all], input[name="customer_ids"]')) countSelected();
    var picker = target.closest("details.picker");
    if (picker) countPicked(picker);
  });

  // A form whose fields depend on a choice (a material's kind): show only the chosen kind's.
  function showKind(select) {
    select.form.querySelectorAll("[data-kinds]").forEach(function (part) {
      part.hidden = part.dataset.kinds.split(" ").indexOf(select.value) < 0;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-kind-switch]")) showKind(event.target);
  });

  // A placeholder button puts its text into its textarea at the cursor (and the preview follows).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert]");
    if (!button) return;
    var area = document.querySelector(button.dataset.target);
    if (!area) return;
    var at = area.selectionStart == null ? area.value.length : area.selectionStart;
    area.value = area.value.slice(0, at) + button.dataset.insert + area.value.slice(area.selectionEnd == null ? at : area.selectionEnd);
    area.focus();
    area.selectionStart = area.selectionEnd = at + button.dataset.insert.length;
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });

  document.addEventListener("htmx:afterSwap", countSelected);
  document.addEventListener("DOMContentLoaded", countSelected);
})();
