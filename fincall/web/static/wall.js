/* The supervisor wall: live queues, service levels, agents and the day's charts. */
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content;
  var $ = function (s) { return document.querySelector(s); };
  var charts = {}, queueIds = [], pending = null;
  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
  function pct(x) { return x == null ? "–" : Math.round(x * 1000) / 10 + "%"; }
  function dur(s) { s = Math.round(s); return s >= 3600 ? Math.floor(s / 3600) + "h" + Math.floor(s % 3600 / 60) + "m" : s >= 60 ? Math.floor(s / 60) + "m" + (s % 60) + "s" : s + "s"; }
  var FLAG_TEXT = { angry: "angry", distressed: "distressed", "persistently-negative": "negative" };
  function flagBadge(flag) {
    return flag ? " <span class='badge bad sentiment' data-sentiment='" + esc(flag) + "' title='customer sentiment'>" + esc(FLAG_TEXT[flag] || flag) + "</span>" : "";
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) })
      .then(function (r) { if (!r.ok) return r.json().then(function (e) { alert(e.error.message); }); load(); });
  }
  function load() {
    return fetch("/api/wall", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(render);
  }
  function render(d) {
    $("#as-of").textContent = "as of " + new Date(d.at).toLocaleTimeString();
    queueIds = d.queues.map(function (q) { return q.id; });
    var waiting = d.queues.reduce(function (a, q) { return a + q.waiting; }, 0);
    var answered = d.queues.reduce(function (a, q) { return a + q.answered; }, 0);
    var abandoned = d.queues.reduce(function (a, q) { return a + q.abandoned; }, 0);
    var k = [["Waiting now", waiting], ["Answered today", answered], ["Abandoned today", abandoned]];
    Object.keys(d.agents_by_state).forEach(function (s) { if (d.agents_by_state[s]) k.push(["Agents " + s.replace("_", " "), d.agents_by_state[s]]); });
    $("#kpis").innerHTML = k.map(function (x) { return "<div><span class='muted'>" + esc(x[0]) + "</span><b>" + esc(x[1]) + "</b></div>"; }).join("");
    $("#queues tbody").innerHTML = d.queues.map(function (q) {
      var cls = q.meets_target == null ? "" : q.meets_target ? "ok" : "bad";
      return "<tr data-queue='" + esc(q.id) + "'><td>" + esc(q.name) + "</td><td>" + esc(q.target) + "</td><td>" + q.waiting + "</td><td>" + dur(q.longest_wait_seconds) +
        "</td><td class='answered'>" + q.answered + "</td><td>" + q.abandoned + "</td><td><span class='badge " + cls + "'>" + pct(q.service_level) + "</span></td></tr>";
    }).join("");
    var opts = queueIds.map(function (id) { return "<option>" + esc(id) + "</option>"; }).join("");
    $("#waiting tbody").innerHTML = d.longest_waiting.map(function (w) {
      return "<tr><td>" + esc(w.channel) + (w.vip ? " <span class='badge warn'>VIP</span>" : "") + flagBadge(w.sentiment_flag) + " <span class='muted'>" + esc(w.contact_id.slice(-8)) + "</span></td><td>" + esc(w.queue_id) +
        "</td><td>" + dur(w.waited_seconds) + "</td><td>" + (window.WALL_CAN_CONTROL ? "<select data-move='" + esc(w.contact_id) + "'><option value=''>—</option>" + opts + "</select>" : "") + "</td></tr>";
    }).join("") || "<tr><td colspan=4 class='muted'>Nobody is waiting.</td></tr>";
    $("#active tbody").innerHTML = d.active_contacts.map(function (c) {
      return "<tr data-contact='" + esc(c.contact_id) + "'><td>" + esc(c.channel) + flagBadge(c.sentiment_flag) + " <span class='muted'>" + esc(c.contact_id.slice(-8)) + "</span></td><td>" +
        esc(c.agent_name || "—") + "</td><td>" + esc(c.status) + "</td><td>" + dur(c.seconds) + "</td></tr>";
    }).join("") || "<tr><td colspan=4 class='muted'>No contact with an agent.</td></tr>";
    $("#agents tbody").innerHTML = d.agents.map(function (a) {
      return "<tr data-agent='" + esc(a.id) + "'><td>" + esc(a.name) + "</td><td><span class='badge'>" + esc(a.state) + "</span></td><td>" + dur(a.seconds_in_state) + "</td><td>" +
        (window.WALL_CAN_CONTROL ? "<select data-force='" + esc(a.id) + "'><option value=''>—</option><option>available</option><option>break</option><option>not_ready</option><option>offline</option></select>" : "") + "</td></tr>";
    }).join("");
    document.querySelectorAll("[data-move]").forEach(function (s) { s.onchange = function () { if (s.value) post("/api/wall/contacts/" + s.dataset.move + "/move", { queue_id: s.value }); }; });
    document.querySelectorAll("[data-force]").forEach(function (s) { s.onchange = function () { if (s.value) post("/api/wall/agents/" + s.dataset.force + "/state", { state: s.value }); }; });
    drawCharts(d.series);
    document.body.setAttribute("data-wall-ready", "1");
  }
  function drawCharts(series) {
    var xs = series.map(function (i) { return Date.parse(i.start) / 1000; });
    var width = Math.max(320, $("#chart-volume").clientWidth || 480);
    var vol = [xs, series.map(function (i) { return i.offered; }), series.map(function (i) { return i.answered; }), series.map(function (i) { return i.abandoned; })];
    var sl = [xs, series.map(function (i) { return i.service_level == null ? null : i.service_level * 100; }), series.map(function (i) { return i.abandonment_rate == null ? null : i.abandonment_rate * 100; })];
    if (charts.vol) { charts.vol.setData(vol); charts.sl.setData(sl); return; }
    charts.vol = new uPlot({ title: "Contacts", width: width, height: 180, series: [{}, { label: "offered", stroke: "#0b5cab" }, { label: "answered", stroke: "#137a3f" }, { label: "abandoned", stroke: "#b42318" }] }, vol, $("#chart-volume"));
    charts.sl = new uPlot({ title: "Service level / abandonment %", width: width, height: 180, scales: { y: { range: [0, 100] } }, series: [{}, { label: "service level %", stroke: "#137a3f", spanGaps: true }, { label: "abandoned %", stroke: "#b42318", spanGaps: true }] }, sl, $("#chart-sl"));
  }
  function schedule() { if (!pending) pending = setTimeout(function () { pending = null; load(); }, 400); }
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/wall");
    ws.onmessage = schedule;
    ws.onclose = function () { setTimeout(connect, 2000); };
  }
  load().then(connect);
  setInterval(load, 5000);
})();
