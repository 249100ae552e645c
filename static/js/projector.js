/* The projector screen: renders the live snapshot of one meeting, from the page's initial
   JSON and then from every `state`, `progress`, `result` and `questions` event of /live.
   Builds the same markup as templates/projector/_stage.html. While voting is open it only
   ever shows how many have voted (the server never sends counts before close). */
(function () {
  "use strict";

  var root = document.getElementById("projector");
  if (!root) { return; }
  var L = JSON.parse(document.getElementById("pj-strings").textContent);
  var initial = JSON.parse(document.getElementById("pj-initial").textContent);
  var state = initial.state;
  var progress = initial.progress;
  var lang = root.getAttribute("data-lang") || "zh";
  var TINY = 2;
  var SCALES = {
    three_level: ["satisfied", "basically_satisfied", "dissatisfied"],
    pass_fail: ["pass", "fail"]
  };
  var SVG = "http://www.w3.org/2000/svg";

  // --- small helpers --------------------------------------------------------------------------

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
  }

  /* h("p", {class: "x"}, "text", child, ...): text children become text nodes (never HTML). */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    var key;
    for (key in attrs || {}) {
      if (Object.prototype.hasOwnProperty.call(attrs, key) && attrs[key] !== null && attrs[key] !== undefined) {
        el.setAttribute(key, attrs[key]);
      }
    }
    for (var i = 2; i < arguments.length; i++) { append(el, arguments[i]); }
    return el;
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }

  function label(key) { return Object.prototype.hasOwnProperty.call(L, key) ? L[key] : key; }

  function moneyText(value) {
    if (!value) { return ""; }
    var parts = String(value).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.length > 1 ? whole + "." + parts[1] : whole;
  }

  /* "7/9" -> "77.8%", rounded half up with integers only (display, never a decision). */
  function percentText(fraction) {
    var m = /^(\d+)\/(\d+)$/.exec(fraction || "");
    if (!m || Number(m[2]) === 0) { return "\u2014"; }
    var num = Number(m[1]), den = Number(m[2]);
    var tenths = Math.floor((2000 * num + den) / (2 * den));
    return Math.floor(tenths / 10) + "." + (tenths % 10) + "%";
  }

  function svgBar(value, total, cls) {
    var width = total ? Math.floor(1000 * value / total) : 0;
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "pj-svgbar " + cls);
    svg.setAttribute("viewBox", "0 0 1000 100");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("aria-hidden", "true");
    var track = document.createElementNS(SVG, "rect");
    track.setAttribute("class", "track");
    track.setAttribute("width", "1000");
    track.setAttribute("height", "100");
    var bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("class", "fill");
    bar.setAttribute("width", String(width));
    bar.setAttribute("height", "100");
    svg.appendChild(track);
    svg.appendChild(bar);
    return svg;
  }

  // --- pieces (mirror the Jinja macros) -------------------------------------------------------

  function attendanceBar(att) {
    return [
      h("span", {class: "pj-att-n"}, h("span", {class: "lbl"}, L.present), " ",
        h("b", {"data-att": "present"}, att.present)),
      h("span", {class: "pj-att-sep"}, "/"),
      h("span", {class: "pj-att-n"}, h("span", {class: "lbl"}, L.roster), " ",
        h("b", {"data-att": "roster"}, att.roster)),
      h("span", {class: "pj-att-q"}, L.quorum, " ", h("b", {"data-att": "needed"}, att.needed)),
      h("span", {class: "pj-badge " + (att.quorum_met ? "ok" : "bad"), "data-att": "quorum"},
        att.quorum_met ? L.quorum_met : L.quorum_not_met)
    ];
  }

  function itemHead(item, round) {
    var person = item.responsible_person || {};
    var who = [person.name];
    if (person.department) { who.push(person.department); }
    if (person.position) { who.push(person.position); }
    var no = fill(L.item_no, {n: item.position});
    if (round && round > 1) { no += " \u00b7 " + fill(L.round, {n: round}); }
    return h("div", {class: "pj-itemhead"},
      h("p", {class: "pj-itemno"}, no),
      h("h2", {class: "pj-itemtitle"}, item.title),
      h("p", {class: "pj-person"}, h("span", {class: "lbl"}, L.responsible), " " + who.join(" \u00b7 ")));
  }

  function tinyNote(att) {
    return att.present <= TINY ? h("p", {class: "pj-tiny"}, L.tiny) : null;
  }

  function facts(item) {
    function fact(name, value) { return h("div", null, h("dt", null, name), h("dd", null, value)); }
    return h("dl", {class: "pj-facts"},
      fact(L.amount, item.amount ? fill(L.yuan, {amount: moneyText(item.amount)}) : L.none),
      fact(L.method, item.procurement_method ? label(item.procurement_method) : L.none),
      fact(L.suppliers, item.supplier_count !== null && item.supplier_count !== undefined
        ? item.supplier_count : L.none));
  }

  function risks(item) {
    var flags = item.risk_flags || [];
    if (!flags.length) { return h("p", {class: "pj-norisk"}, L.no_risk); }
    return h("div", {class: "pj-risks"},
      h("h3", null, h("span", {class: "pj-warn", "aria-hidden": "true"}, "!"), L.risk_flags),
      h("ul", null, flags.map(function (f) {
        return h("li", null, lang === "en" && f.message_en ? f.message_en : f.message);
      })));
  }

  function questions(item) {
    var list = (item.questions || []).filter(function (q) {
      return q.status === "approved" || q.status === "answered";
    });
    var open = !!item.questions_open;
    return h("aside", {class: "pj-qs"},
      h("h3", null, L.questions, " ",
        h("span", {class: "pj-qstate " + (open ? "open" : "closed")},
          open ? L.questions_open : L.questions_closed)),
      list.length
        ? h("ol", {class: "pj-qlist"}, list.map(function (q) {
          return h("li", {class: "pj-q " + q.status},
            h("p", {class: "pj-qtext"}, q.text),
            q.answer ? h("p", {class: "pj-qans"}, h("span", {class: "lbl"}, L.answer), " " + q.answer) : null);
        }))
        : h("p", {class: "pj-noq"}, L.no_questions));
  }

  function votingView() {
    var ballots = progress ? progress.ballots : 0;
    var voters = progress ? progress.present : state.attendance.present;
    return h("div", {class: "pj-voting"},
      itemHead(state.item, state.voting.round),
      h("p", {class: "pj-voting-open"}, L.voting_open),
      h("p", {class: "pj-count", id: "pj-count"}, fill(L.voted_of, {n: ballots, m: voters})),
      svgBar(ballots, voters, "progress"),
      tinyNote(state.attendance));
  }

  function resultView() {
    var r = state.result;
    var choices = SCALES[r.scale] || Object.keys(r.counts || {});
    return h("div", {class: "pj-result"},
      itemHead(state.item, r.round),
      h("div", {class: "pj-result-grid"},
        h("div", {class: "pj-chart"}, choices.map(function (choice) {
          var count = (r.counts && r.counts[choice]) || 0;
          return h("div", {class: "pj-row c-" + choice},
            h("span", {class: "pj-row-lbl"}, label(choice)),
            svgBar(count, r.ballots, "c-" + choice),
            h("span", {class: "pj-row-n"}, count));
        })),
        h("div", {class: "pj-verdict " + (r.passed ? "passed" : "failed")},
          h("p", {class: "pj-banner"}, r.passed ? L.passed : L.failed),
          h("p", {class: "pj-rate"}, (r.scale === "pass_fail" ? L.pass_rate : L.satisfaction) + " " +
            r.satisfaction + " = " + percentText(r.satisfaction)),
          h("p", {class: "pj-rule"}, L.threshold + " \u2265 " + r.pass_threshold),
          h("p", {class: "pj-turnout"}, fill(L.ballots_of, {n: r.ballots, m: r.present})))));
  }

  function idleView() {
    var att = state.attendance;
    var status = state.meeting.status;
    var msg = status === "closed" ? L.finished : (status === "draft" ? L.not_started : L.waiting);
    function big(n, name) { return h("div", null, h("span", {class: "num"}, n), h("span", {class: "lbl"}, name)); }
    return h("div", {class: "pj-idle"},
      h("p", {class: "pj-idle-msg"}, msg),
      h("div", {class: "pj-bigatt"}, big(att.present, L.present), big(att.roster, L.roster),
        big(att.needed, L.quorum)),
      h("p", {class: "pj-badge big " + (att.quorum_met ? "ok" : "bad")},
        att.quorum_met ? L.quorum_met : L.quorum_not_met),
      status !== "closed" ? h("p", {class: "pj-idle-join"}, L.join_hint) : null);
  }

  function stageView() {
    if (!state.item) { return idleView(); }
    if (state.phase === "voting" && state.voting) { return votingView(); }
    if (state.phase === "result" && state.result) { return resultView(); }
    return h("div", {class: "pj-cols"},
      h("div", {class: "pj-main"}, itemHead(state.item), facts(state.item), risks(state.item),
        tinyNote(state.attendance)),
      questions(state.item));
  }

  // --- rendering --------------------------------------------------------------------------------

  function replaceChildren(el, children) {
    while (el.firstChild) { el.removeChild(el.firstChild); }
    append(el, children);
  }

  function render() {
    document.getElementById("pj-title").textContent = state.meeting.title;
    document.title = state.meeting.title;
    replaceChildren(document.getElementById("pj-att"), attendanceBar(state.attendance));
    var stage = document.getElementById("pj-stage");
    stage.setAttribute("data-phase", state.item ? state.phase : "idle");
    replaceChildren(stage, stageView());
    document.getElementById("pj-join").hidden = state.meeting.status === "closed";
    renderAlerts();
    // More questions than fit: keep the newest in view (the oldest scroll off the top).
    var list = stage.querySelector(".pj-qlist");
    if (list) { list.scrollTop = list.scrollHeight; }
  }

  /* Alerts (a join link used from a second device, a link re-issued): the newest three, so
     the room sees them; the console keeps the full list. */
  function renderAlerts() {
    var box = document.getElementById("pj-alerts");
    var list = (state.alerts || []).slice(0, 3);
    replaceChildren(box, list.map(function (a) {
      var text = fill(L["alert_" + a.kind] || a.kind, {
        name: (a.representative && a.representative.name) || "?", time: a.time || ""
      });
      return h("li", {class: "pj-alert pj-alert-" + a.kind}, text);
    }));
    box.hidden = list.length === 0;
  }

  /* Progress changes often: update the number and the bar in place (the bar animates). */
  function renderProgress() {
    var count = document.getElementById("pj-count");
    if (!count || !progress) { render(); return; }
    count.textContent = fill(L.voted_of, {n: progress.ballots, m: progress.present});
    var bar = document.querySelector(".pj-voting .pj-svgbar .fill");
    if (bar) {
      bar.setAttribute("width", String(progress.present ? Math.floor(1000 * progress.ballots / progress.present) : 0));
    }
  }

  // --- the live channel -------------------------------------------------------------------------

  var conn = document.getElementById("pj-conn");

  function showConn(text, refused) {
    conn.textContent = text;
    conn.classList.toggle("refused", !!refused);
    conn.hidden = false;
  }

  function onState(snapshot) {
    state = snapshot;
    if (!state.voting || (progress && progress.item_id !== state.voting.item_id)) { progress = null; }
    render();
  }

  function onProgress(p) {
    if (!state.voting || p.item_id !== state.voting.item_id) { return; }
    progress = p;
    renderProgress();
  }

  function onResult(r) {
    if (!state.item || r.item_id !== state.item.id) { return; }
    state.result = r;
    state.phase = "result";
    state.voting = null;
    progress = null;
    render();
  }

  function onQuestions(payload) {
    if (!state.item || payload.item_id !== state.item.id) { return; }
    state.item.questions = (payload.questions || []).filter(function (q) {
      return q.status === "approved" || q.status === "answered";
    });
    render();
  }

  render();

  if (typeof window.io !== "function") { showConn(L.refused, true); return; }
  var socket = window.io("/live", {auth: {display: root.getAttribute("data-token")}});
  socket.on("connect", function () { conn.hidden = true; });
  socket.on("disconnect", function (reason) {
    showConn(L.reconnecting);
    // The server let go of us on purpose (e.g. a restart in progress): come back anyway.
    if (reason === "io server disconnect") { setTimeout(function () { socket.connect(); }, 2000); }
  });
  socket.on("connect_error", function (err) {
    // socket.active is false when the server refused us; then socket.io will not retry.
    if (socket.active) { showConn(L.reconnecting); return; }
    showConn(L.refused + (err && err.message ? ": " + err.message : ""), true);
  });
  socket.on("state", onState);
  socket.on("progress", onProgress);
  socket.on("result", onResult);
  socket.on("questions", onQuestions);
  socket.on("alert", function (payload) { state.alerts = payload.alerts || []; renderAlerts(); });
  root.setAttribute("data-ready", "1");
})();
