/* The moderator console: the running order, the item on the floor with its controls, the
   questions, the roster. Live from /live (state, progress, result, questions); every control is a
   JSON API call with the session cookie and the CSRF token. The API broadcasts after commit, so
   the console (like every other screen) follows from the events; after each call it also
   re-reads its data, so it stays right even while the socket is reconnecting.
   Builds the same markup as templates/console/_parts.html. */
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) { return; }
  var strings = JSON.parse(document.getElementById("cs-strings").textContent);
  var L = strings.L;
  var C = strings.C;
  var data = JSON.parse(document.getElementById("cs-initial").textContent);
  var meetingId = Number(root.getAttribute("data-meeting"));
  var dataUrl = root.getAttribute("data-data-url");
  var lang = root.getAttribute("data-lang") || "zh";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var TINY = 2;
  var SCALES = {
    three_level: ["satisfied", "basically_satisfied", "dissatisfied"],
    pass_fail: ["pass", "fail"]
  };
  var SVG = "http://www.w3.org/2000/svg";
  var refusal = null; // the last "voting cannot open" reason, kept until something changes

  // --- small helpers --------------------------------------------------------------------------

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
  }

  function h(tag, attrs) {
    var el = document.createElement(tag);
    var key;
    for (key in attrs || {}) {
      if (!Object.prototype.hasOwnProperty.call(attrs, key)) { continue; }
      var v = attrs[key];
      if (v === null || v === undefined || v === false) { continue; }
      el.setAttribute(key, v === true ? "" : v);
    }
    for (var i = 2; i < arguments.length; i++) { append(el, arguments[i]); }
    return el;
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }

  function replaceChildren(el, children) {
    while (el.firstChild) { el.removeChild(el.firstChild); }
    append(el, children);
  }

  function label(key) { return Object.prototype.hasOwnProperty.call(L, key) ? L[key] : key; }

  function moneyText(value) {
    if (!value) { return ""; }
    var parts = String(value).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.length > 1 ? whole + "." + parts[1] : whole;
  }

  function percentText(fraction) {
    var m = /^(\d+)\/(\d+)$/.exec(fraction || "");
    if (!m || Number(m[2]) === 0) { return "\u2014"; }
    var num = Number(m[1]), den = Number(m[2]);
    var tenths = Math.floor((2000 * num + den) / (2 * den));
    return Math.floor(tenths / 10) + "." + (tenths % 10) + "%";
  }

  function button(action, text, opts) {
    opts = opts || {};
    var attrs = {type: "button", class: "cs-btn " + (opts.cls || ""), "data-action": action,
      disabled: !!opts.disabled};
    if (opts.item) { attrs["data-item"] = opts.item; }
    if (opts.rep) { attrs["data-rep"] = opts.rep; }
    if (opts.q) { attrs["data-q"] = opts.q; }
    return h("button", attrs, text);
  }

  function progressBar(ballots, voters) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "cs-svgbar");
    svg.setAttribute("viewBox", "0 0 1000 100");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("aria-hidden", "true");
    var track = document.createElementNS(SVG, "rect");
    track.setAttribute("class", "track");
    track.setAttribute("width", "1000");
    track.setAttribute("height", "100");
    var bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("class", "fill");
    bar.setAttribute("width", String(voters ? Math.floor(1000 * ballots / voters) : 0));
    bar.setAttribute("height", "100");
    svg.appendChild(track);
    svg.appendChild(bar);
    return svg;
  }

  // --- toasts and the dialog ------------------------------------------------------------------

  var toasts = document.getElementById("cs-toasts");

  function toast(text, kind) {
    var el = h("div", {class: "cs-toast " + (kind || "error"), role: kind === "ok" ? "status" : "alert"}, text);
    toasts.appendChild(el);
    setTimeout(function () { if (el.parentNode) { el.parentNode.removeChild(el); } },
      kind === "ok" ? 2500 : 8000);
    el.addEventListener("click", function () { if (el.parentNode) { el.parentNode.removeChild(el); } });
  }

  var dialog = document.getElementById("cs-dialog");
  var dialogText = document.getElementById("cs-dialog-text");
  var dialogInput = document.getElementById("cs-dialog-input");

  /* ask(text, wantsInput) -> Promise of the typed text ("" without input), or null on cancel. */
  function ask(text, wantsInput) {
    return new Promise(function (resolve) {
      dialogText.textContent = text;
      dialogInput.value = "";
      dialogInput.hidden = !wantsInput;
      dialogInput.required = !!wantsInput;
      function done() {
        dialog.removeEventListener("close", done);
        resolve(dialog.returnValue === "ok" ? dialogInput.value.trim() : null);
      }
      dialog.returnValue = "";
      dialog.addEventListener("close", done);
      dialog.showModal();
      if (wantsInput) { dialogInput.focus(); }
    });
  }

  // --- the API ----------------------------------------------------------------------------------

  // The server's message is already in the page's language (translated by its error code).
  function errorText(status, error) {
    var code = error && error.code;
    if (code === "csrf_failed") { return C.err_csrf; }
    if (status === 401) { return C.err_login; }
    return (error && error.message) || ("HTTP " + status);
  }

  function api(method, path, body) {
    var init = {
      method: method,
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": csrf}
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch("/api/v1" + path, init).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (json) {
        if (!resp.ok) {
          var err = new Error(errorText(resp.status, json.error));
          err.code = json.error && json.error.code;
          throw err;
        }
        return json;
      });
    }, function () {
      var err = new Error(C.err_network);
      err.code = "network";
      throw err;
    });
  }

  // --- rendering --------------------------------------------------------------------------------

  function st() { return data.state; }
  function live() { return data.meeting.status === "live"; }
  function phase() { return st().item ? st().phase : "idle"; }

  function renderHeader() {
    var att = st().attendance;
    document.getElementById("cs-title").textContent = data.meeting.title;
    var ms = document.getElementById("cs-mstatus");
    ms.className = "cs-mstatus m-" + data.meeting.status;
    ms.textContent = C["meeting_" + data.meeting.status] || data.meeting.status;
    replaceChildren(document.getElementById("cs-att"), [
      h("span", {class: "lbl"}, L.present), " ", h("b", {"data-att": "present"}, att.present), " / ",
      h("span", {class: "lbl"}, L.roster), " ", h("b", {"data-att": "roster"}, att.roster), " ",
      h("span", {class: "cs-sep"}, "\u00b7"), " ", h("span", {class: "lbl"}, L.quorum), " ",
      h("b", {"data-att": "needed"}, att.needed), " ",
      h("span", {class: "cs-badge " + (att.quorum_met ? "ok" : "warn")},
        att.quorum_met ? L.quorum_met : L.quorum_not_met)
    ]);
  }

  function renderItems() {
    var s = st();
    replaceChildren(document.getElementById("cs-items"), data.items.map(function (item) {
      var onScreen = !!(s.item && s.item.id === item.id);
      return h("li", {class: "cs-item" + (onScreen ? " current" : ""), "data-item": item.id},
        h("span", {class: "cs-pos"}, item.position),
        h("span", {class: "cs-ititle"}, item.title,
          item.result ? h("small", {class: "cs-irate"}, item.result.satisfaction) : null),
        h("span", {class: "cs-badge st-" + item.status}, C["status_" + item.status] || item.status),
        button("present", C.show, {cls: "small", item: item.id,
          disabled: !live() || onScreen || phase() === "voting"}));
    }));
  }

  function renderRoster() {
    replaceChildren(document.getElementById("cs-roster"), data.roster.map(function (rep) {
      var cls = rep.revoked ? "revoked" : (rep.present ? "present" : "absent");
      var stateText = rep.revoked ? C.revoked : (rep.present ? C.at_meeting : C.absent);
      return h("li", {class: "cs-rep " + cls, "data-rep": rep.id},
        h("span", {class: "cs-dot", "aria-hidden": "true"}),
        h("span", {class: "cs-rname"}, rep.name,
          h("small", null, (rep.department ? rep.department + " \u00b7 " : "") + rep.employee_no)),
        h("span", {class: "cs-rstate"}, stateText,
          rep.present && rep.checked_in_by === "moderator" ? [" ", h("small", null, "(" + C.by_hand + ")")] : null),
        rep.revoked ? null : button(rep.present ? "mark-absent" : "mark-present",
          rep.present ? C.mark_absent : C.mark_present,
          {cls: "small" + (rep.present ? " ghost" : ""), rep: rep.id, disabled: !live()}));
    }));
  }

  function currentPanel() {
    var s = st();
    var item = s.item;
    var ph = phase();
    var isLive = live();
    var out = [];
    out.push(h("div", {class: "cs-cur-head"},
      h("span", {class: "cs-phase ph-" + ph}, C["phase_" + ph] || ph),
      item
        ? h("h2", {class: "cs-cur-title"}, fill(L.item_no, {n: item.position}) + " \u00b7 " + item.title)
        : h("h2", {class: "cs-cur-title muted"}, C.nothing_on_screen)));
    if (item) {
      var person = item.responsible_person || {};
      var fact = function (name, value) { return h("div", null, h("dt", null, name), h("dd", null, value)); };
      out.push(h("dl", {class: "cs-facts"},
        fact(L.responsible, person.name + (person.department ? " \u00b7 " + person.department : "")),
        fact(L.amount, item.amount ? fill(L.yuan, {amount: moneyText(item.amount)}) : L.none),
        fact(L.method, item.procurement_method ? label(item.procurement_method) : L.none),
        fact(L.suppliers, item.supplier_count !== null && item.supplier_count !== undefined
          ? item.supplier_count : L.none)));
      if ((item.risk_flags || []).length) {
        out.push(h("ul", {class: "cs-risks"}, item.risk_flags.map(function (f) {
          return h("li", null, lang === "en" && f.message_en ? f.message_en : f.message);
        })));
      }
    }
    var controls = [];
    if (data.meeting.status === "draft") { controls.push(button("start", C.start_meeting, {cls: "primary"})); }
    if (item && item.questions_open) {
      controls.push(button("close-questions", C.close_questions, {disabled: !isLive || ph === "voting"}));
    } else {
      controls.push(button("open-questions", C.open_questions, {disabled: !isLive || !item || ph === "voting"}));
    }
    controls.push(button("open-voting", C.open_voting,
      {cls: "primary", disabled: !isLive || !item || item.status !== "pending"}));
    controls.push(button("close-voting", C.close_voting,
      {cls: "danger", disabled: !isLive || !item || item.status !== "voting"}));
    controls.push(button("revote", C.revote,
      {disabled: !isLive || !item || (item.status !== "passed" && item.status !== "failed")}));
    controls.push(button("next", C.next_item, {disabled: !isLive || ph === "voting"}));
    controls.push(button("clear", C.clear_stage, {cls: "ghost", disabled: !isLive || !item || ph === "voting"}));
    controls.push(button("finish", C.finish_meeting, {cls: "danger ghost", disabled: !isLive || ph === "voting"}));
    out.push(h("div", {class: "cs-controls"}, controls));
    var ref = h("p", {class: "cs-refusal", id: "cs-refusal"}, refusal || "");
    ref.hidden = !refusal;
    out.push(ref);
    if (item && (ph === "questions" || ph === "voting") && s.attendance.present <= TINY) {
      out.push(h("p", {class: "cs-tiny"}, L.tiny));
    }
    if (ph === "voting" && s.voting) {
      var p = data.progress;
      var ballots = p ? p.ballots : 0;
      var voters = p ? p.present : s.attendance.present;
      out.push(h("div", {class: "cs-progress"},
        h("p", {class: "cs-count", id: "cs-count"}, fill(L.voted_of, {n: ballots, m: voters})),
        progressBar(ballots, voters)));
    } else if (ph === "result" && s.result) {
      var r = s.result;
      var choices = SCALES[r.scale] || Object.keys(r.counts || {});
      out.push(h("div", {class: "cs-result " + (r.passed ? "passed" : "failed")},
        h("p", {class: "cs-verdict"}, r.passed ? L.passed : L.failed),
        h("table", {class: "cs-counts"}, choices.map(function (c) {
          return h("tr", null, h("th", null, label(c)), h("td", null, (r.counts && r.counts[c]) || 0));
        })),
        h("p", {class: "cs-rate"}, (r.scale === "pass_fail" ? L.pass_rate : L.satisfaction) + " " +
          r.satisfaction + " = " + percentText(r.satisfaction) + " \u00b7 " + L.threshold + " \u2265 " +
          r.pass_threshold + " \u00b7 " + fill(L.ballots_of, {n: r.ballots, m: r.present}))));
    }
    return out;
  }

  function renderCurrent() {
    replaceChildren(document.getElementById("cs-current"), currentPanel());
    var qo = document.getElementById("cs-qopen");
    var open = !!(st().item && st().item.questions_open);
    qo.className = "cs-qopen " + (open ? "open" : "closed");
    qo.textContent = open ? L.questions_open : L.questions_closed;
  }

  function questionRow(q) {
    var btns = [];
    if (q.status === "pending" || q.status === "hidden") {
      btns.push(button("q-approve", q.status === "pending" ? C.approve : C.restore, {cls: "small", q: q.id}));
    }
    if (q.status !== "hidden") { btns.push(button("q-hide", C.hide, {cls: "small ghost", q: q.id})); }
    if (q.status === "approved") { btns.push(button("q-answered", C.mark_answered, {cls: "small", q: q.id})); }
    var area = h("textarea", {rows: "2", "data-q-answer": q.id, "data-server": q.answer || "",
      placeholder: C.answer_summary, "aria-label": C.answer_summary});
    area.value = q.answer || "";
    return h("li", {class: "cs-q st-" + q.status, "data-q": q.id},
      h("div", {class: "cs-qhead"}, h("p", {class: "cs-qtext"}, q.text),
        h("span", {class: "cs-badge q-" + q.status}, C["q_" + q.status] || q.status)),
      h("div", {class: "cs-qbtns"}, btns),
      h("div", {class: "cs-qans"}, area, button("q-save", C.save_answer, {cls: "small", q: q.id})));
  }

  /* Re-render the questions without losing what the secretary is typing. */
  function renderQuestions() {
    var list = document.getElementById("cs-questions");
    var drafts = {};
    var focused = null;
    list.querySelectorAll("textarea[data-q-answer]").forEach(function (ta) {
      var id = ta.getAttribute("data-q-answer");
      if (ta.value !== ta.getAttribute("data-server")) { drafts[id] = ta.value; }
      if (document.activeElement === ta) {
        focused = {id: id, start: ta.selectionStart, end: ta.selectionEnd};
      }
    });
    var current = st().item;
    var qs = current && data.questions && data.questions.item_id === current.id ? data.questions.questions : [];
    replaceChildren(list, qs.length ? qs.map(questionRow) : h("li", {class: "cs-empty"}, C.no_questions_yet));
    list.querySelectorAll("textarea[data-q-answer]").forEach(function (ta) {
      var id = ta.getAttribute("data-q-answer");
      if (Object.prototype.hasOwnProperty.call(drafts, id)) { ta.value = drafts[id]; }
      if (focused && focused.id === id) {
        ta.focus();
        ta.setSelectionRange(focused.start, focused.end);
      }
    });
  }

  /* Alerts the room also sees: a join link used from a second device, a re-issued link. */
  function renderAlerts() {
    var box = document.getElementById("cs-alerts");
    var list = st().alerts || [];
    replaceChildren(box, list.map(function (a) {
      return h("li", {class: "cs-alert"}, fill(L["alert_" + a.kind] || a.kind, {
        name: (a.representative && a.representative.name) || "?", time: a.time || ""
      }));
    }));
    box.hidden = list.length === 0;
  }

  function renderAll() {
    renderAlerts();
    renderHeader();
    renderItems();
    renderCurrent();
    renderQuestions();
    renderRoster();
  }

  function renderProgress() {
    var count = document.getElementById("cs-count");
    var p = data.progress;
    if (!count || !p) { renderCurrent(); return; }
    count.textContent = fill(L.voted_of, {n: p.ballots, m: p.present});
    var bar = document.querySelector("#cs-current .cs-svgbar .fill");
    if (bar) { bar.setAttribute("width", String(p.present ? Math.floor(1000 * p.ballots / p.present) : 0)); }
  }

  // --- keeping the data fresh -------------------------------------------------------------------

  var refreshTimer = null;
  var refreshing = false;
  var refreshAgain = false;

  /* Re-read the console data (running order, roster, questions) soon; bursts collapse into one. */
  function scheduleRefresh(delay) {
    if (refreshTimer) { return; }
    refreshTimer = setTimeout(function () { refreshTimer = null; refresh(); }, delay === undefined ? 150 : delay);
  }

  function refresh() {
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    fetch(dataUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (resp) {
        // A lapsed login redirects to the login page (HTML): say so rather than fail to parse it.
        if (resp.redirected || resp.status === 401) { throw new Error(C.err_login); }
        if (!resp.ok) { throw new Error(fill(C.err_failed_because, {message: "HTTP " + resp.status})); }
        return resp.json();
      })
      .then(function (fresh) {
        data.meeting = fresh.meeting;
        data.items = fresh.items;
        data.roster = fresh.roster;
        // The read started after the event that asked for it, so its snapshot is at least as new;
        // a snapshot arriving meanwhile schedules another read (refreshAgain).
        data.state = fresh.state;
        if (fresh.progress && (!data.progress || data.progress.item_id !== fresh.progress.item_id ||
            fresh.progress.ballots >= data.progress.ballots)) {
          data.progress = fresh.progress;
        }
        if (!fresh.progress) { data.progress = null; }
        data.questions = fresh.questions;
        renderAll();
      })
      .catch(function (err) { toast(err.message || C.err_network); })
      .then(function () {
        refreshing = false;
        if (refreshAgain) { refreshAgain = false; scheduleRefresh(0); }
      });
  }

  // --- controls ---------------------------------------------------------------------------------

  function currentItemId() { return st().item ? st().item.id : null; }

  function answerOf(qid) {
    var ta = document.querySelector('textarea[data-q-answer="' + qid + '"]');
    return ta ? ta.value : "";
  }

  function run(action, el) {
    var item = currentItemId();
    var qid = el.getAttribute("data-q");
    var rep = el.getAttribute("data-rep");
    switch (action) {
      case "present": return api("POST", "/items/" + el.getAttribute("data-item") + "/present");
      case "start": return api("POST", "/meetings/" + meetingId + "/start");
      case "open-questions": return api("POST", "/meetings/" + meetingId + "/questions/open");
      case "close-questions": return api("POST", "/meetings/" + meetingId + "/questions/close");
      case "open-voting": return api("POST", "/items/" + item + "/voting/open");
      case "close-voting": return api("POST", "/items/" + item + "/voting/close");
      case "next": return api("POST", "/meetings/" + meetingId + "/next");
      case "clear": return api("POST", "/meetings/" + meetingId + "/clear");
      case "revote":
        return ask(C.revote_reason, true).then(function (reason) {
          if (reason === null) { return null; }
          return api("POST", "/items/" + item + "/revote", {reason: reason});
        });
      case "finish":
        return ask(C.finish_confirm, false).then(function (ok) {
          if (ok === null) { return null; }
          return api("POST", "/meetings/" + meetingId + "/finish");
        });
      case "mark-present": return api("PATCH", "/representatives/" + rep, {present: true});
      case "mark-absent": return api("PATCH", "/representatives/" + rep, {present: false});
      case "q-approve": return api("PATCH", "/questions/" + qid, {status: "approved"});
      case "q-hide": return api("PATCH", "/questions/" + qid, {status: "hidden"});
      case "q-answered": return api("PATCH", "/questions/" + qid, {status: "answered", answer: answerOf(qid)});
      case "q-save":
        return api("PATCH", "/questions/" + qid, {answer: answerOf(qid)}).then(function (q) {
          var ta = document.querySelector('textarea[data-q-answer="' + qid + '"]');
          if (ta) { ta.setAttribute("data-server", ta.value); }
          toast(C.saved, "ok");
          return q;
        });
      default: return Promise.resolve(null);
    }
  }

  root.addEventListener("click", function (ev) {
    var el = ev.target.closest("button[data-action]");
    if (!el || el.disabled || !root.contains(el)) { return; }
    var action = el.getAttribute("data-action");
    el.disabled = true;
    el.setAttribute("aria-busy", "true");
    Promise.resolve()
      .then(function () { return run(action, el); })
      .then(function (result) {
        if (action === "open-voting" && result) { refusal = null; }
        if (result !== null) { scheduleRefresh(); }
      }, function (err) {
        if (err.code === "quorum_not_met") { refusal = err.message; renderCurrent(); }
        toast(err.code === "network" || err.code === "csrf_failed" || !err.message
          ? (err.message || C.err_failed) : fill(C.err_failed_because, {message: err.message}));
        scheduleRefresh();
      })
      .then(function () {
        if (document.body.contains(el)) { el.disabled = false; el.removeAttribute("aria-busy"); }
      });
  });

  // --- the live channel -------------------------------------------------------------------------

  var conn = document.getElementById("cs-conn");

  function setConnected(ok, text) {
    conn.setAttribute("data-connected", ok ? "1" : "0");
    conn.textContent = ok ? C.live_connected : (text || L.reconnecting);
  }

  function onState(snapshot) {
    var before = st();
    var changedItem = (before.item && before.item.id) !== (snapshot.item && snapshot.item.id);
    if (refusal && (changedItem || snapshot.attendance.present !== before.attendance.present)) { refusal = null; }
    data.state = snapshot;
    data.meeting.status = snapshot.meeting.status;
    data.meeting.title = snapshot.meeting.title;
    if (!snapshot.voting || (data.progress && data.progress.item_id !== snapshot.voting.item_id)) {
      data.progress = null;
    }
    renderAlerts();
    renderHeader();
    renderItems();
    renderCurrent();
    renderQuestions();
    scheduleRefresh();
  }

  function onProgress(p) {
    if (!st().voting || p.item_id !== st().voting.item_id) { return; }
    data.progress = p;
    renderProgress();
  }

  function onResult(r) {
    var s = st();
    if (s.item && s.item.id === r.item_id) {
      s.result = r;
      s.phase = "result";
      s.voting = null;
      s.item.status = r.passed ? "passed" : "failed";
      data.progress = null;
      renderCurrent();
    }
    scheduleRefresh();
  }

  function onQuestions(payload) {
    data.questions = payload;
    renderQuestions();
  }

  renderAll();

  if (typeof window.io !== "function") { setConnected(false, C.err_network); return; }
  var socket = window.io("/live", {auth: {meeting_id: meetingId}});
  socket.on("connect", function () { setConnected(true); scheduleRefresh(0); });
  socket.on("disconnect", function (reason) {
    setConnected(false);
    if (reason === "io server disconnect") { setTimeout(function () { socket.connect(); }, 2000); }
  });
  socket.on("connect_error", function (err) {
    if (socket.active) { setConnected(false); return; }
    setConnected(false, err && err.message ? fill(C.err_failed_because, {message: err.message}) : C.err_failed);
  });
  socket.on("state", onState);
  socket.on("progress", onProgress);
  socket.on("result", onResult);
  socket.on("questions", onQuestions);
  socket.on("alert", function (payload) {
    var before = (st().alerts || []).length ? st().alerts[0].id : 0;
    st().alerts = payload.alerts || [];
    var newest = st().alerts[0];
    if (newest && newest.id !== before) {
      toast(fill(L["alert_" + newest.kind] || newest.kind, {
        name: (newest.representative && newest.representative.name) || "?", time: newest.time || ""
      }));
    }
    renderAlerts();
  });
  root.setAttribute("data-ready", "1");
})();
