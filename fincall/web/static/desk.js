/* The agent desktop: offers over a WebSocket, conversations in tabs, live compliance checks,
 * the customer 360 and knowledge suggestions beside the conversation. */
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var convs = {};   // contact id -> {data, messages: {seq: msg}, unread}
  var current = null;
  var drafts = {};  // contact id -> text being typed (kept across re-renders)
  var $ = function (s, r) { return (r || document).querySelector(s); };

  function api(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.text().then(function (t) {
        var data = t ? JSON.parse(t) : null;
        if (!r.ok) { var e = new Error((data && data.error && data.error.message) || r.statusText); e.data = data; e.status = r.status; throw e; }
        return data;
      });
    });
  }
  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = 880; o.connect(g); g.connect(ctx.destination);
      g.gain.setValueAtTime(0.15, ctx.currentTime); o.start(); o.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no audio device */ }
  }

  function emptyText() {
    var state = $("#my-state").textContent;
    return state === "available" || state === "on_contact"
      ? "No open conversation. New contacts are offered here."
      : "No open conversation. Set yourself available to receive contacts.";
  }

  function showState(state) {
    $("#my-state").textContent = state;
    if (!current) renderConversation();
  }

  function refresh() {
    return api("GET", "/api/desk").then(function (d) {
      $("#my-state").textContent = d.agent.state;  // the conversation is rendered below
      renderOffers(d.offers);
      var open = {};
      d.contacts.forEach(function (c) {
        open[c.id] = true;
        var conv = convs[c.id] || (convs[c.id] = { messages: {}, unread: false });
        conv.data = c;
        c.messages.forEach(function (m) { conv.messages[m.seq] = m; });
      });
      Object.keys(convs).forEach(function (id) { if (!open[id]) delete convs[id]; });
      if (!current || !convs[current]) current = Object.keys(convs)[0] || null;
      renderTabs(); renderConversation();
    });
  }

  function renderOffers(offers) {
    var box = $("#offers");
    box.innerHTML = "";
    offers.forEach(function (o) {
      var div = document.createElement("div");
      div.className = "offer";
      div.setAttribute("data-offer", o.id);
      div.innerHTML = "<b>New contact</b> <span>queue " + esc(o.queue_id) + "</span>" +
        '<span class="muted">until ' + new Date(o.expires_at).toLocaleTimeString() + "</span>" +
        '<button type="button" class="accept">Accept</button><button type="button" class="secondary reject">Reject</button>';
      div.querySelector(".accept").onclick = function () {
        api("POST", "/api/desk/offers/" + o.id + "/accept").then(function (c) { current = c.id; return refresh(); })
          .catch(function (e) { alert(e.message); refresh(); });
      };
      div.querySelector(".reject").onclick = function () { api("POST", "/api/desk/offers/" + o.id + "/reject").then(refresh); };
      box.appendChild(div);
    });
  }

  function renderTabs() {
    var tabs = $("#tabs");
    tabs.innerHTML = "";
    Object.keys(convs).forEach(function (id) {
      var c = convs[id], b = document.createElement("button");
      b.type = "button"; b.setAttribute("role", "tab"); b.setAttribute("aria-selected", id === current);
      b.textContent = (c.data.channel || "chat") + " · " + (c.data.customer_id ? (c.name || c.data.customer_id.slice(0, 10)) : "visitor");
      var cls = [];
      if (c.unread && id !== current) cls.push("unread");
      if (sentimentOf(c).flag) cls.push("upset");
      b.className = cls.join(" ");
      b.onclick = function () { current = id; c.unread = false; renderTabs(); renderConversation(); };
      tabs.appendChild(b);
    });
  }

  function renderConversation() {
    var box = $("#conversation");
    if (!current) { box.innerHTML = '<p class="muted empty">' + emptyText() + '</p>'; $("#customer").innerHTML = ""; $("#assist").innerHTML = ""; return; }
    var c = convs[current];
    var seqs = Object.keys(c.messages).map(Number).sort(function (a, b) { return a - b; });
    var ended = c.data.status === "wrap_up";
    box.innerHTML = '<div id="sentiment-alert" aria-live="assertive"></div><div class="log" data-contact="' + esc(current) + '">' + seqs.map(function (s) {
      var m = c.messages[s];
      return '<div class="utt ' + esc(m.speaker) + '" data-seq="' + s + '"><span class="muted">' + esc(m.speaker) + "</span><br>" + esc(m.text) + "</div>";
    }).join("") + "</div>" +
      (ended ? '<p class="muted">The customer has left. Choose a wrap-up code.</p>' :
      '<div class="composer"><textarea id="draft" aria-label="Reply"></textarea><button type="button" id="send">Send</button></div><div class="findings" id="findings"></div>') +
      '<div class="wrap"><label>Wrap-up <select id="dispo">' + $("#dispositions").innerHTML + '</select></label><input id="notes" placeholder="Notes"><button type="button" id="wrap">Wrap up</button></div>';
    renderAlert(c);
    var log = $(".log", box); log.scrollTop = log.scrollHeight;
    var draft = $("#draft"), timer = null;
    if (draft) {
      var hadFocus = drafts.focus === current;
      draft.value = drafts[current] || "";
      if (hadFocus) draft.focus();
      if (draft.value) check();
      draft.addEventListener("focus", function () { drafts.focus = current; });
      draft.addEventListener("input", function () { drafts[current] = draft.value; clearTimeout(timer); timer = setTimeout(check, 300); });
      draft.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } });
      $("#send").onclick = send;
    }
    $("#wrap").onclick = function () {
      api("POST", "/api/desk/contacts/" + current + "/wrap-up", { disposition: $("#dispo").value, notes: $("#notes").value })
        .then(function () { delete convs[current]; current = null; return refresh(); });
    };
    loadCustomer(c);
  }

  var ALERTS = {
    angry: "The customer is angry. Acknowledge the problem, keep calm, offer to escalate.",
    distressed: "The customer sounds distressed. Slow down, reassure, check for fraud or hardship.",
    "persistently-negative": "The customer has been unhappy for several messages."
  };
  function sentimentOf(c) { return (c.data.attributes && c.data.attributes.sentiment) || {}; }
  function renderAlert(c) {
    var box = $("#sentiment-alert");
    if (!box) return;
    var flag = sentimentOf(c).flag;
    box.innerHTML = flag ? '<div class="sentiment-alert" role="alert" data-sentiment="' + esc(flag) + '"><b>Sentiment alert:</b> ' + esc(ALERTS[flag] || flag) + "</div>" : "";
  }

  function showFindings(fs) {
    var box = $("#findings");
    if (!box) return;
    box.innerHTML = fs.map(function (f) {
      return '<div class="finding ' + (f.block ? "block" : "warn") + '">' + (f.block ? "Blocked: " : "Warning: ") +
        esc(f.category.replace(/_/g, " ")) + " — " + esc(f.message || f.rule_id) + "</div>";
    }).join("");
    var s = $("#send"); if (s) s.disabled = fs.some(function (f) { return f.block; });
  }
  function check() {
    var text = $("#draft").value.trim();
    if (!text) { showFindings([]); return; }
    api("POST", "/api/desk/contacts/" + current + "/check", { text: text }).then(function (r) { showFindings(r.findings); });
  }
  function send() {
    var text = $("#draft").value.trim();
    if (!text) return;
    var id = String(Date.now()) + Math.floor(Math.random() * 1e6);
    api("POST", "/api/desk/contacts/" + current + "/messages", { text: text, client_msg_id: id })
      .then(function (r) { $("#draft").value = ""; drafts[current] = ""; showFindings(r.warnings || []); })
      .catch(function (e) { if (e.data && e.data.error && e.data.error.findings) showFindings(e.data.error.findings); else alert(e.message); });
  }

  function loadCustomer(c) {
    var side = $("#customer");
    if (!c.data.customer_id) {
      var h = (c.data.attributes && c.data.attributes.handoff) || {};
      side.innerHTML = "<h2>Unidentified visitor</h2><p class='muted'>Ask the customer to verify before discussing accounts.</p>" +
        (h.intent ? "<p>Intent: <b>" + esc(h.intent) + "</b></p>" : "") +
        (h.first_message ? "<p>First message: " + esc(h.first_message) + "</p>" : "");
      loadAssist(c); return;
    }
    api("GET", "/api/customers/" + c.data.customer_id + "/360").then(function (d) {
      c.name = d.profile.name; renderTabs();
      var p = d.profile;
      side.innerHTML = '<h2 id="cust-name">' + esc(p.name) + ' <span class="badge">' + esc(p.segment) + '</span> <span class="badge">C' + p.risk_rating + "</span></h2>" +
        "<div class='muted'>" + esc(p.language) + " · " + esc(p.region) + " · " + esc(p.timezone) + "</div>" +
        "<div>Phone <span class='phone'>" + esc(p.phone || "") + "</span></div>" +
        "<h3>Holdings</h3><table id='holdings'>" + d.holdings.map(function (x) {
          var warn = x.risk_level > p.risk_rating ? ' <span class="badge warn">above C' + p.risk_rating + "</span>" : "";
          var pct = x.day_move_percent == null ? null : Number(x.day_move_percent);
          var move = pct == null ? '<span class="muted">–</span>' :
            (pct > 0 ? "+" : "") + Number(x.day_move).toLocaleString() + " (" + (pct > 0 ? "+" : "") + pct.toFixed(2) + "%)" +
            (x.moved ? ' <span class="badge warn">moved &gt; ' + esc(d.holding_move_alert_percent) + "%</span>" : "");
          return "<tr data-holding='" + esc(x.product_code) + "'" + (x.moved ? " class='holding-moved' data-moved='1'" : "") + "><td>" + esc(x.product_name) + "</td><td>R" + x.risk_level + warn + "</td><td>" + esc(x.currency) + " " + Number(x.market_value).toLocaleString() +
            "</td><td class='day-move " + (pct == null ? "" : pct < 0 ? "moved-down" : "moved-up") + "'>" + move + "</td></tr>";
        }).join("") + "</table>" +
        "<h3>Recent contacts</h3><table>" + d.timeline.slice(0, 6).map(function (t) {
          return "<tr><td>" + esc(t.started_at.slice(0, 10)) + "</td><td>" + esc(t.channel) + "</td><td>" + esc(t.disposition || t.status) + "</td></tr>";
        }).join("") + "</table>";
    }).catch(function () { side.innerHTML = "<p class='muted'>Profile not available.</p>"; });
    loadAssist(c);
  }
  function loadAssist(c) {
    var box = $("#assist");
    api("GET", "/api/desk/contacts/" + c.data.id + "/assist").then(function (a) {
      box.innerHTML = "<h3>Suggested articles</h3>" + (a.articles.length ? "<ul>" + a.articles.map(function (x) {
        return "<li><b>" + esc(x.title) + "</b><br><span class='muted'>" + esc(x.snippet || "") + "</span></li>"; }).join("") + "</ul>" : "<p class='muted'>None yet.</p>") +
        (a.actions.length ? "<h3>Next best actions</h3><ul>" + a.actions.map(function (x) { return "<li>" + esc(x) + "</li>"; }).join("") + "</ul>" : "");
    }).catch(function () { box.innerHTML = ""; });
  }

  document.querySelectorAll(".state-btn").forEach(function (b) {
    b.onclick = function () {
      api("POST", "/api/desk/state", { state: b.getAttribute("data-state") })
        .then(function (r) { showState(r.state); })
        .catch(function (e) { alert(e.message); });
    };
  });

  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent");
    ws.onmessage = function (ev) {
      var f = JSON.parse(ev.data);
      if (f.type === "routing.offer") { beep(); refresh(); }
      else if (f.type === "message") {
        var c = convs[f.contact_id];
        if (!c) { refresh(); return; }
        var isNew = !c.messages[f.seq];
        c.messages[f.seq] = f;
        if (f.contact_id !== current) { c.unread = true; renderTabs(); return; }
        var log = $(".log");
        if (isNew && log && !log.querySelector('[data-seq="' + f.seq + '"]')) {
          var d = document.createElement("div");
          d.className = "utt " + f.speaker; d.setAttribute("data-seq", f.seq);
          d.innerHTML = '<span class="muted">' + esc(f.speaker) + "</span><br>" + esc(f.text);
          log.appendChild(d); log.scrollTop = log.scrollHeight;
        }
      } else if (f.type === "contact.sentiment") {
        var sc = convs[f.contact_id];
        if (!sc) return;
        sc.data.attributes = sc.data.attributes || {};
        sc.data.attributes.sentiment = Object.assign({}, sc.data.attributes.sentiment, { flag: f.flag, label: f.label });
        renderTabs();
        if (f.contact_id === current) renderAlert(sc);
      } else if (f.type === "agent.state") { showState(f.state); }
      else if (f.type !== "hello") { refresh(); }
    };
    ws.onopen = function () { document.body.setAttribute("data-desk-ready", "1"); };
    ws.onclose = function () { document.body.removeAttribute("data-desk-ready"); setTimeout(connect, 1000); };
  }
  refresh().then(connect);
})();
