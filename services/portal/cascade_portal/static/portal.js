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

// The decision: approving (wholly or in part) and rejecting ask to be confirmed. The page shows
// what the decision will do beside the confirmation box once it is chosen, and a send without
// the box ticked stays here, saying so (without script the portal asks the same on the server:
// the box, ticked, sent again).
(function () {
  "use strict";
  var form = document.getElementById("decision");
  var box = document.getElementById("confirm-decision");
  var confirm = document.getElementById("decision-confirm");
  var what = document.getElementById("confirm-what");
  if (!form || !box || !confirm || !what) return;
  var ASKS = { approve: true, partial: true, reject: true };
  function chosen() {
    var radio = form.querySelector("input[name=decision]:checked");
    return radio ? radio.value : "";
  }
  function show(asking) {
    var decision = chosen();
    box.hidden = !ASKS[decision];
    var words = form.getAttribute("data-confirm-" + decision) || "";
    if (asking) words += " " + (form.getAttribute("data-confirm-needed") || "");
    if (ASKS[decision]) what.textContent = words;
    box.classList.toggle("asking", !!asking);
    if (asking) {
      confirm.setAttribute("aria-invalid", "true");
      confirm.setAttribute("aria-describedby", "confirm-what");
    } else {
      confirm.removeAttribute("aria-invalid");
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "decision") {
      confirm.checked = false;
      show(false);
    } else if (event.target === confirm && confirm.checked) {
      show(false);
    }
  });
  form.addEventListener("submit", function (event) {
    if (ASKS[chosen()] && !confirm.checked) {
      event.preventDefault();
      show(true);
      confirm.focus();
    }
  });
  show(box.classList.contains("asking"));
})();

// Print buttons (the pages print without them too, from the browser's menu).
(function () {
  "use strict";
  var buttons = document.querySelectorAll(".js-print");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();

// A chart as a PNG to paste into a report: the chart's SVG drawn on a canvas at twice its size,
// on white, in a font every office machine has. (The SVG link works without script.)
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button.chart-png");
  if (!buttons.length || !window.XMLSerializer || !window.Blob) return;
  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }
  function png(figure, name) {
    var svg = figure && figure.querySelector("svg");
    if (!svg) return;
    var box = svg.viewBox && svg.viewBox.baseVal;
    var width = box && box.width ? box.width : svg.clientWidth;
    var height = box && box.height ? box.height : svg.clientHeight;
    var scale = 2;
    var copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    copy.setAttribute("width", String(width * scale));
    copy.setAttribute("height", String(height * scale));
    copy.setAttribute("font-family", "Arial, Helvetica, sans-serif");
    var text = new XMLSerializer().serializeToString(copy);
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) { if (blob) download(blob, name); }, "image/png");
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  }
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function (event) {
      var button = event.currentTarget;
      png(document.getElementById(button.getAttribute("data-figure")), button.getAttribute("data-filename"));
    });
  }
})();

// The tasks' and the indicators' tables like a spreadsheet: a block copied from Excel (tab
// between cells, a new line between rows, a cell with a line break in quotes) pasted into a cell
// fills the cells to its right and below, adding rows as needed; a cell's lines join with "; "
// in the milestones and a space elsewhere. "Thêm dòng" adds one. Without script each table is a
// plain form.
function spreadsheet(form) {
  "use strict";
  var table = form.querySelector("table.sheet-grid");
  var count = form.querySelector("input.grid-rows");
  if (!table || !count) return;
  var body = table.tBodies[0];
  var status = form.querySelector(".grid-status");
  var add = form.querySelector("button.grid-add");
  var prefix = form.getAttribute("data-prefix") || "g";
  var label = form.getAttribute("data-row-label") || "{n}";
  function addRow() {
    var last = body.rows[body.rows.length - 1];
    var row = last.cloneNode(true);
    var i = body.rows.length;
    row.setAttribute("data-row", String(i));
    row.removeAttribute("data-code");
    row.cells[0].textContent = String(i + 1);
    var inputs = row.querySelectorAll("input:not([type=checkbox])");
    for (var k = 0; k < inputs.length; k++) {
      var input = inputs[k];
      var field = input.name.slice(input.name.indexOf(".") + 1);
      input.name = "r" + i + "." + field;
      input.id = prefix + "-" + i + "-" + field;
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      var words = input.getAttribute("aria-label") || "";
      input.setAttribute("aria-label", label.replace("{n}", String(i + 1)) + words.slice(words.indexOf(":")));
    }
    var ticks = row.querySelectorAll("input[type=checkbox]");
    for (var d = 0; d < ticks.length; d++) ticks[d].remove(); // a new row has no task to delete
    var notes = row.querySelectorAll(".cell-findings");
    for (var n = 0; n < notes.length; n++) notes[n].remove();
    var cells = row.querySelectorAll("td.invalid");
    for (var c = 0; c < cells.length; c++) cells[c].classList.remove("invalid");
    body.appendChild(row);
    count.value = String(body.rows.length);
    return row;
  }
  function cellAt(r, c) {
    while (body.rows.length <= r) addRow();
    var cell = body.rows[r].cells[c + 1];
    return cell ? cell.querySelector("input:not([type=checkbox])") : null;
  }
  // Excel's clipboard text: a tab between cells, a line break between rows, and a cell that
  // holds a tab, a line break or a quote wrapped in quotes (its quotes doubled).
  function parseClipboard(text) {
    var rows = [], row = [], cell = "", quoted = false, i = 0;
    text = text.replace(/\r\n?/g, "\n");
    while (i < text.length) {
      var c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
        if (c === '"') { quoted = false; i++; continue; }
        cell += c; i++; continue;
      }
      if (c === '"' && cell === "") { quoted = true; i++; continue; }
      if (c === "\t") { row.push(cell); cell = ""; i++; continue; }
      if (c === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; i++; continue; }
      cell += c; i++;
    }
    if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
    return rows;
  }
  // A cell's line breaks in a one-line field: milestones one after another ("; "), else spaces.
  function oneLine(value, field) {
    var lines = value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
    return lines.join(field === "milestones" ? "; " : " ");
  }
  table.addEventListener("paste", function (event) {
    var input = event.target;
    if (!input || input.tagName !== "INPUT" || input.type === "checkbox") return;
    var text = (event.clipboardData || window.clipboardData).getData("text");
    if (!/[\t\n]/.test(text)) return; // one value: the browser pastes it
    event.preventDefault();
    var lines = parseClipboard(text);
    var td = input.closest("td");
    var tr = td.parentElement;
    var r0 = Array.prototype.indexOf.call(body.rows, tr);
    var c0 = Array.prototype.indexOf.call(tr.cells, td) - 1;
    for (var r = 0; r < lines.length; r++) {
      var values = lines[r];
      for (var c = 0; c < values.length; c++) {
        var target = cellAt(r0 + r, c0 + c);
        if (!target) continue;
        var field = target.name.slice(target.name.indexOf(".") + 1);
        target.value = oneLine(values[c], field);
      }
    }
    if (status) status.textContent = (form.getAttribute("data-pasted") || "").replace("{n}", String(lines.length));
  });
  if (add) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var row = addRow();
      var first = row.querySelector("input");
      if (first) first.focus();
    });
  }
}
(function () {
  var forms = document.querySelectorAll("form.grid-form");
  for (var f = 0; f < forms.length; f++) spreadsheet(forms[f]);
})();
