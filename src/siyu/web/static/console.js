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
  });
})();
