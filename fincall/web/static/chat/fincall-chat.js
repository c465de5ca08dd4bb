/* fincall web chat widget.
 * Embed: <script src="https://<fincall>/static/chat/fincall-chat.js" data-language="en"
 *          data-portal-token="(optional, from the bank's logged-in portal)"></script>
 * The conversation survives reloads and reconnects: the session token and the last message
 * number are kept in localStorage, unacknowledged messages are resent with their ids, and the
 * server never stores one twice. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script.src, location.href);
  var lang = script.getAttribute("data-language") || "en";
  var portalToken = script.getAttribute("data-portal-token");
  var KEY = "fincall-chat:" + base.host;
  var TEXTS = {
    en: { title: "Chat with us", send: "Send", placeholder: "Type a message…", verify: "Verify me",
          phone: "Phone number or customer id", dob: "Date of birth (YYYY-MM-DD)", end: "End chat",
          queued: "Waiting for an adviser…", connected: "An adviser has joined.", ended: "The chat has ended.",
          verified: "Identity verified.", failed: "That did not match. Please try again.", offline: "Reconnecting…" },
    "zh-CN": { title: "在线客服", send: "发送", placeholder: "请输入消息…", verify: "身份验证", phone: "手机号或客户号",
          dob: "出生日期 (YYYY-MM-DD)", end: "结束对话", queued: "正在为您排队转接人工…", connected: "客服已接入。",
          ended: "对话已结束。", verified: "身份验证成功。", failed: "信息不符，请重试。", offline: "正在重新连接…" },
    "zh-HK": { title: "網上客服", send: "發送", placeholder: "請輸入訊息…", verify: "身份驗證", phone: "電話號碼或客戶編號",
          dob: "出生日期 (YYYY-MM-DD)", end: "結束對話", queued: "正在輪候客戶服務主任…", connected: "客戶服務主任已加入。",
          ended: "對話已結束。", verified: "身份驗證成功。", failed: "資料不符，請再試。", offline: "重新連線中…" }
  };
  if (!TEXTS[lang]) { lang = "en"; }
  var T = TEXTS[lang];

  function load() { try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; } }
  function save() { localStorage.setItem(KEY, JSON.stringify(state)); }
  var state = load();
  state.lastSeq = typeof state.lastSeq === "number" ? state.lastSeq : -1;
  state.outbox = state.outbox || [];
  var seen = {};

  var css = document.createElement("style");
  css.textContent =
    "#fc-chat-btn{position:fixed;right:20px;bottom:20px;background:#0b5cab;color:#fff;border:0;border-radius:24px;padding:12px 18px;font:15px system-ui;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2);z-index:99999}" +
    "#fc-chat{position:fixed;right:20px;bottom:74px;width:340px;height:480px;background:#fff;border:1px solid #d0d7e2;border-radius:10px;display:none;flex-direction:column;font:14px system-ui;box-shadow:0 8px 30px rgba(0,0,0,.2);z-index:99999}" +
    "#fc-chat header{background:#0f2741;color:#fff;padding:10px 12px;border-radius:10px 10px 0 0;display:flex;justify-content:space-between;align-items:center}" +
    "#fc-log{flex:1;overflow:auto;padding:10px;display:flex;flex-direction:column;gap:6px}" +
    ".fc-m{padding:6px 10px;border-radius:10px;max-width:80%;white-space:pre-wrap;word-wrap:break-word}.fc-customer{background:#0b5cab;color:#fff;align-self:flex-end}" +
    ".fc-agent{background:#eef2f6}.fc-bot{background:#f3ecff}.fc-sys{color:#667085;font-size:12px;align-self:center}.fc-pending{opacity:.6}" +
    "#fc-form{display:flex;border-top:1px solid #e3e8ef}#fc-input{flex:1;border:0;padding:10px;font:14px system-ui}#fc-form button{border:0;background:#0b5cab;color:#fff;padding:0 14px;cursor:pointer}" +
    "#fc-id{display:none;padding:8px;border-top:1px solid #e3e8ef;gap:4px;flex-direction:column}#fc-id input{padding:6px;border:1px solid #d0d7e2;border-radius:4px}" +
    "#fc-tools{display:flex;gap:6px;padding:6px 8px;border-top:1px solid #e3e8ef}#fc-tools button{background:#e9eef5;border:0;border-radius:4px;padding:4px 8px;cursor:pointer;font-size:12px}";
  document.head.appendChild(css);
  var btn = el("button", { id: "fc-chat-btn", type: "button" }, T.title);
  var box = el("div", { id: "fc-chat", role: "dialog", "aria-label": T.title });
  box.innerHTML = '<header><b></b><span id="fc-status"></span></header><div id="fc-log" aria-live="polite"></div>' +
    '<div id="fc-id"><input id="fc-ref"><input id="fc-dob"><button type="button" id="fc-id-go"></button></div>' +
    '<div id="fc-tools"><button type="button" id="fc-verify"></button><button type="button" id="fc-end"></button></div>' +
    '<form id="fc-form"><input id="fc-input" autocomplete="off"><button type="submit"></button></form>';
  document.body.appendChild(btn);
  document.body.appendChild(box);
  box.querySelector("header b").textContent = T.title;
  q("#fc-input").placeholder = T.placeholder;
  q("#fc-form button").textContent = T.send;
  q("#fc-verify").textContent = T.verify;
  q("#fc-end").textContent = T.end;
  q("#fc-ref").placeholder = T.phone;
  q("#fc-dob").placeholder = T.dob;
  q("#fc-id-go").textContent = T.verify;

  function q(s) { return box.querySelector(s); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function sys(text) { var d = el("div", { "class": "fc-m fc-sys" }, text); q("#fc-log").appendChild(d); scroll(); }
  function scroll() { var l = q("#fc-log"); l.scrollTop = l.scrollHeight; }
  function show(m) {
    if (m.seq !== undefined && seen[m.seq]) return;
    if (m.seq !== undefined) seen[m.seq] = true;
    var pending = m.client_msg_id && document.getElementById("fc-p-" + m.client_msg_id);
    if (pending) { pending.classList.remove("fc-pending"); pending.removeAttribute("id"); }
    else {
      var d = el("div", { "class": "fc-m fc-" + m.speaker, "data-seq": m.seq }, m.text);
      q("#fc-log").appendChild(d);
    }
    if (typeof m.seq === "number" && m.seq > state.lastSeq) { state.lastSeq = m.seq; save(); }
    scroll();
  }

  var ws = null, backoff = 500, open = false;
  function connect() {
    var url = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/ws/chat";
    ws = new WebSocket(url);
    ws.onopen = function () {
      backoff = 500;
      ws.send(JSON.stringify({ type: "hello", language: lang, resume: state.session || null,
                               last_seq: state.lastSeq, portal_token: portalToken || null }));
    };
    ws.onmessage = function (ev) {
      var f = JSON.parse(ev.data);
      if (f.type === "welcome") {
        if (f.session) { state.session = f.session; state.lastSeq = -1; seen = {}; save(); }
        box.setAttribute("data-contact", f.contact_id);
        setStatus(f.status);
        state.outbox.forEach(function (m) { ws.send(JSON.stringify(m)); });
      } else if (f.type === "message") { show(f); }
      else if (f.type === "ack") {
        state.outbox = state.outbox.filter(function (m) { return m.client_msg_id !== f.client_msg_id; });
        save();
        show({ seq: f.seq, client_msg_id: f.client_msg_id, speaker: "customer", text: "" });
      } else if (f.type === "status") { setStatus(f.status); }
      else if (f.type === "verify_challenge") { q("#fc-dob").focus(); }
      else if (f.type === "verified") { sys(T.verified); q("#fc-id").style.display = "none"; }
      else if (f.type === "verify_failed") { sys(T.failed); }
      else if (f.type === "error") { sys(f.message); }
    };
    ws.onclose = function () {
      if (state.ended) return;
      q("#fc-status").textContent = T.offline;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 8000);
    };
  }
  function setStatus(s) {
    var text = { queued: T.queued, connected: T.connected, ended: T.ended }[s] || "";
    q("#fc-status").textContent = "";
    box.setAttribute("data-status", s);
    if (text && box.getAttribute("data-last-status") !== s) sys(text);
    box.setAttribute("data-last-status", s);
    if (s === "ended") { state.ended = true; save(); }
  }
  function send(text) {
    var id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
    var m = { type: "message", client_msg_id: id, text: text };
    state.outbox.push(m); save();
    var d = el("div", { "class": "fc-m fc-customer fc-pending", id: "fc-p-" + id }, text);
    q("#fc-log").appendChild(d); scroll();
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(m));
  }
  q("#fc-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var t = q("#fc-input").value.trim();
    if (t) { send(t); q("#fc-input").value = ""; }
  });
  q("#fc-verify").addEventListener("click", function () { q("#fc-id").style.display = "flex"; });
  q("#fc-id-go").addEventListener("click", function () {
    ws.send(JSON.stringify({ type: "identify", reference: q("#fc-ref").value }));
    ws.send(JSON.stringify({ type: "verify", date_of_birth: q("#fc-dob").value }));
  });
  q("#fc-end").addEventListener("click", function () { ws.send(JSON.stringify({ type: "close" })); });
  btn.addEventListener("click", function () {
    box.style.display = box.style.display === "flex" ? "none" : "flex";
    if (!open) {
      open = true;
      if (state.ended) { state = { lastSeq: -1, outbox: [] }; save(); }
      connect();
    }
    q("#fc-input").focus();
  });
  window.fincallChat = { open: function () { if (box.style.display !== "flex") btn.click(); } };
})();
