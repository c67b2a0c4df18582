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

// A finding's link (#<field>-<task id>) opens the task's form where it is folded and puts the
// cursor in the field, on a click and when a page opens at such an address. Without script the
// link still scrolls to the field.
(function () {
  "use strict";
  function reveal(id, scroll) {
    var field = id && document.getElementById(id);
    if (!field) return false;
    for (var el = field.parentElement; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
    if (/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(field.tagName)) {
      field.focus({ preventScroll: !scroll });
      if (scroll) field.scrollIntoView({ block: "center" });
      return true;
    }
    return false;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.finding-link") : null;
    if (!link) return;
    var id = decodeURIComponent((link.getAttribute("href") || "").slice(1));
    if (reveal(id, true)) {
      event.preventDefault();
      history.replaceState(null, "", "#" + encodeURIComponent(id));
    }
  });
  if (location.hash.length > 1) reveal(decodeURIComponent(location.hash.slice(1)), true);
})();
