// Notification centre: mark read without a page reload and keep the header badge in step.
// Without JavaScript the forms post normally and the page reloads.
(function () {
  "use strict";

  function setUnread(count) {
    document.querySelectorAll("[data-unread-count]").forEach(function (badge) {
      if (count > 0) {
        badge.textContent = String(count);
      } else {
        badge.remove();
      }
    });
  }

  function post(form) {
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function markItemRead(item) {
    item.classList.remove("unread");
    var form = item.querySelector("[data-notification-read]");
    if (form) {
      form.remove();
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var single = form.matches("[data-notification-read]");
    if (!single && !form.matches("[data-notification-read-all]")) {
      return;
    }
    event.preventDefault();
    post(form)
      .then(function (data) {
        if (single) {
          markItemRead(form.closest("[data-notification-id]"));
        } else {
          document.querySelectorAll("[data-notification-id]").forEach(markItemRead);
        }
        setUnread(data.unread);
      })
      .catch(function () {
        form.submit();
      });
  });
})();
