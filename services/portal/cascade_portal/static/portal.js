// The bell's live unread count: server-sent events would need the token in a header, which an
// EventSource cannot send; the portal's own endpoint reads the session cookie, polled gently.
(function () {
  "use strict";
  var bell = document.getElementById("bell");
  var count = document.getElementById("bell-count");
  if (!bell || !count) return;
  var url = bell.getAttribute("data-unread-url");
  function refresh() {
    if (document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && typeof data.unread === "number") count.textContent = String(data.unread);
      })
      .catch(function () {});
  }
  setInterval(refresh, 15000);
  document.addEventListener("visibilitychange", refresh);
})();
