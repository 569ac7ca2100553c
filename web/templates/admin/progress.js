// Live progress of a send on the dashboard's article page: polls the
// counts every second while deliveries are unfinished, and reloads the
// page once they are all final, so every row shows its server's reply.
// Without JavaScript the page's Refresh link does the same.
"use strict";
(function () {
  var box = document.getElementById("progress");
  if (!box) return;
  var src = box.getAttribute("data-src");
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var counts = document.getElementById("counts");
  var wasDone = box.getAttribute("data-final") === box.getAttribute("data-total");
  var order = ["sent", "duplicate", "queued", "sending", "deferred", "failed", "unknown", "bounced", "skipped", "cancelled"];

  function summary(byStatus) {
    var parts = [];
    var keys = Object.keys(byStatus).sort(function (a, b) {
      var i = order.indexOf(a), j = order.indexOf(b);
      return (i < 0 ? 99 : i) - (j < 0 ? 99 : j) || (a < b ? -1 : 1);
    });
    keys.forEach(function (k) { parts.push(byStatus[k] + " " + k); });
    return parts.join(", ");
  }

  function show(p) {
    bar.max = p.total;
    bar.value = p.final;
    text.textContent = p.final + " of " + p.total + " deliveries final.";
    var body = counts.tBodies[0];
    Object.keys(p.counts).sort().forEach(function (ch) {
      var row = body.querySelector('tr[data-channel="' + CSS.escape(ch) + '"]');
      if (!row) {
        row = body.insertRow(-1);
        row.setAttribute("data-channel", ch);
        row.insertCell(-1).textContent = ch;
        row.insertCell(-1);
      }
      var by = p.counts[ch];
      row.cells[1].textContent = summary(by);
      row.cells[1].className = (by.failed || by.unknown || by.bounced) ? "bad" : "";
    });
  }

  function tick() {
    fetch(src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("progress: HTTP " + r.status);
        return r.json();
      })
      .then(function (p) {
        show(p);
        if (p.done && !wasDone) {
          location.reload();
          return;
        }
        wasDone = p.done;
        setTimeout(tick, p.done ? 5000 : 1000);
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  tick();
})();
