/* The moderator console: the running order, the item on the floor with its controls, the
   questions, the roster. Live from /live (state, progress, result, questions); every control is a
   JSON API call with the session cookie and the CSRF token. The API broadcasts after commit, so
   the console (like every other screen) follows from the events; after each call it also
   re-reads its data, so it stays right even while the socket is reconnecting.
   Its markup is templates/console/_parts.html's: each render clones the <template>s the server
   rendered (a row of each list, the panel of the item on the floor) and fills them. */
(function () {
  "use strict";

  var E = window.Evalmeet;
  var screen = E && E.screen("console");
  if (!screen) { return; }
  var root = screen.root;
  var strings = E.data("cs-strings");
  var L = strings.L;
  var C = strings.C;
  var data = E.data("cs-initial");
  var fill = E.fill;
  var meetingId = Number(root.getAttribute("data-meeting"));
  var dataUrl = root.getAttribute("data-data-url");
  var lang = screen.lang;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var refusal = null; // the last "voting cannot open" reason, kept until something changes

  function byId(id) { return document.getElementById(id); }

  /* Set `name` (data-item, data-rep, data-q) to `value` on `row` and on every part that has it. */
  function point(row, name, value) {
    row.setAttribute(name, value);
    Array.prototype.forEach.call(row.querySelectorAll("[" + name + "]"), function (el) {
      el.setAttribute(name, value);
    });
  }

  /* Enable or disable the controls of `box`: {action: enabled}. */
  function enable(box, actions) {
    Object.keys(actions).forEach(function (action) {
      var button = box.querySelector('button[data-action="' + action + '"]');
      if (button) { button.disabled = !actions[action]; }
    });
  }

  // --- toasts and the dialog ------------------------------------------------------------------

  var toasts = byId("cs-toasts");

  function toast(message, kind) {
    var el = E.clone(toasts.querySelector("template"));
    el.classList.add(kind || "error");
    if (kind === "ok") { el.setAttribute("role", "status"); }
    el.textContent = message;
    toasts.appendChild(el);
    setTimeout(function () { if (el.parentNode) { el.parentNode.removeChild(el); } },
      kind === "ok" ? 2500 : 8000);
    el.addEventListener("click", function () { if (el.parentNode) { el.parentNode.removeChild(el); } });
  }

  var dialog = byId("cs-dialog");
  var dialogText = byId("cs-dialog-text");
  var dialogInput = byId("cs-dialog-input");

  /* ask(text, wantsInput) -> Promise of the typed text ("" without input), or null on cancel. */
  function ask(question, wantsInput) {
    return new Promise(function (resolve) {
      dialogText.textContent = question;
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
    E.text(document, "#cs-title", data.meeting.title);
    var status = E.text(document, "#cs-mstatus", C["meeting_" + data.meeting.status] || data.meeting.status);
    E.variant(status, "m-", data.meeting.status);
    E.attendance(byId("cs-att"), st().attendance, L, "warn");
    if (E.countdown) { E.countdown.update(st()); }
  }

  function renderItems() {
    var s = st();
    E.rows(byId("cs-items"), data.items, function (li, item) {
      var onScreen = !!(s.item && s.item.id === item.id);
      point(li, "data-item", item.id);
      li.classList.toggle("current", onScreen);
      E.text(li, ".cs-pos", item.position);
      E.text(li, ".cs-iname", item.title);
      if (E.keep(li, ".cs-irate", item.result)) { E.text(li, ".cs-irate", item.result.satisfaction); }
      var badge = E.text(li, ".cs-badge", C["status_" + item.status] || item.status);
      E.variant(badge, "st-", item.status);
      enable(li, {present: live() && !onScreen && phase() !== "voting"});
    });
  }

  function renderRoster() {
    E.rows(byId("cs-roster"), data.roster, function (li, rep) {
      point(li, "data-rep", rep.id);
      li.classList.add(rep.revoked ? "revoked" : (rep.present ? "present" : "absent"));
      E.text(li, ".cs-rwho", rep.name);
      E.text(li, ".cs-rname small", (rep.department ? rep.department + " \u00b7 " : "") + rep.employee_no);
      // 未到 until someone has checked in at all; 缺席 once they were here and were marked absent
      E.text(li, ".cs-rstate-text", rep.revoked ? C.revoked
        : (rep.present ? C.at_meeting : (rep.checked_in_by ? C.absent : C.not_arrived)));
      E.keep(li, ".cs-byhand", !rep.revoked && rep.present && rep.checked_in_by === "moderator");
      E.keep(li, ".cs-rpaper", rep.ballot === "paper");
      var button = E.keep(li, "button", !rep.revoked);
      if (button) {
        button.setAttribute("data-action", rep.present ? "mark-absent" : "mark-present");
        button.textContent = rep.present ? C.mark_absent : C.mark_present;
        button.classList.toggle("ghost", !!rep.present);
        button.disabled = !live();
      }
    });
  }

  /* Recusals (回避) from the item on the floor, and the control to record one before voting opens. */
  function renderRecusals(panel, item) {
    var recusals = (item && item.recusals) || [];
    var canRecuse = !!(item && live() && item.status === "pending" && !item.vote_round);
    var box = E.keep(panel, ".cs-recusals", item && (recusals.length || canRecuse));
    if (!box) { return; }
    E.rows(box.querySelector(".cs-rclist"), recusals, function (li, r) {
      E.text(li, ".cs-rcname", r.name);
      E.text(li, ".cs-rcreason", r.reason);
    });
    var form = E.keep(box, ".cs-rcform", canRecuse);
    if (!form) { return; }
    var taken = {};
    recusals.forEach(function (r) { taken[r.representative_id] = true; });
    var reps = (data.roster || []).filter(function (rep) { return !rep.revoked && !taken[rep.id]; });
    E.rows(form.querySelector(".cs-rcwho"), reps, function (option, rep) {
      option.value = String(rep.id);
      option.textContent = rep.name;
    });
    enable(form, {recuse: reps.length > 0});
  }

  /* The panel of the item on the floor, from its skeleton. */
  function currentPanel() {
    var s = st();
    var item = s.item;
    var ph = phase();
    var isLive = live();
    var panel = E.clone(byId("cs-current-skeleton"));
    E.variant(E.text(panel, ".cs-phase", C["phase_" + ph] || ph), "ph-", ph);
    var title = E.text(panel, ".cs-cur-title",
      item ? fill(L.item_no, {n: item.position}) + " \u00b7 " + item.title : C.nothing_on_screen);
    title.classList.toggle("muted", !item);
    if (E.keep(panel, ".cs-facts", item)) { E.facts(panel, item, L); }
    var flags = (item && item.risk_flags) || [];
    var risks = E.keep(panel, ".cs-risks", flags.length);
    if (risks) { E.rows(risks, flags, function (li, flag) { li.textContent = E.flagText(flag, lang); }); }
    var floorOpen = !!(item && item.questions_open);
    E.keep(panel, '[data-action="start"]', data.meeting.status === "draft");
    E.keep(panel, '[data-action="close-questions"]', floorOpen);
    E.keep(panel, '[data-action="open-questions"]', !floorOpen);
    enable(panel, {
      "close-questions": isLive && ph !== "voting",
      "open-questions": isLive && item && ph !== "voting",
      "open-voting": isLive && item && item.status === "pending",
      "close-voting": isLive && item && item.status === "voting",
      revote: isLive && item && (item.status === "passed" || item.status === "failed"),
      next: isLive && ph !== "voting",
      clear: isLive && item && ph !== "voting",
      finish: isLive && ph !== "voting"
    });
    E.text(panel, "#cs-refusal", refusal || "").hidden = !refusal;
    renderRecusals(panel, item);
    E.keep(panel, ".cs-tiny", item && (ph === "questions" || ph === "voting") && screen.tiny(s.attendance));
    if (E.keep(panel, ".cs-progress", ph === "voting" && s.voting)) {
      var p = data.progress;
      E.votedCount(panel, p ? p.ballots : 0, p ? p.present : s.attendance.present, L);
    }
    var box = E.keep(panel, ".cs-result", ph === "result" && s.result);
    if (box) {
      var r = s.result;
      box.classList.toggle("passed", !!r.passed);
      box.classList.toggle("failed", !r.passed);
      E.text(box, ".cs-verdict", r.passed ? L.passed : L.failed);
      E.rows(box.querySelector(".cs-counts tbody"), E.choicesOf(r), function (tr, choice) {
        E.text(tr, "th", E.choiceName(s.meeting, choice, L));
        E.text(tr, "td", (r.counts && r.counts[choice]) || 0);
      });
      var rule = r.criteria && s.meeting.pass_rule === "every_criterion" ? " " + L.every_criterion : "";
      E.text(box, ".cs-rate", E.rateText(r, L) + " \u00b7 " + L.threshold + " \u2265 " + r.pass_threshold + rule +
        " \u00b7 " + fill(L.ballots_of, {n: r.ballots, m: r.present}));
      var channels = E.channelsText(r, L);
      if (E.keep(box, ".cs-channels", channels)) { E.text(box, ".cs-channels", channels); }
      var sheet = E.keep(box, ".cs-sheet", r.criteria || r.groups || r.average_score);
      if (sheet) { E.sheetFigures(sheet, r, s.meeting, L); }
    }
    return panel;
  }

  function renderCurrent() {
    var old = byId("cs-current");
    var chosen = old.querySelector(".cs-rcwho");
    var who = chosen ? chosen.value : "";
    var panel = currentPanel();
    old.parentNode.replaceChild(panel, old);
    var select = panel.querySelector(".cs-rcwho");
    if (select && who && select.querySelector('option[value="' + who + '"]')) { select.value = who; }
    var open = !!(st().item && st().item.questions_open);
    var badge = E.text(document, "#cs-qopen", open ? L.questions_open : L.questions_closed);
    badge.classList.toggle("open", open);
    badge.classList.toggle("closed", !open);
    badge.hidden = !st().item; // before any item is on the floor, questions neither open nor close
    byId("cs-next").hidden = data.meeting.status !== "closed";
  }

  function questionRow(li, q) {
    point(li, "data-q", q.id);
    E.variant(li, "st-", q.status);
    E.text(li, ".cs-qtext", q.text);
    if (E.keep(li, ".cs-support", q.status === "approved" || q.support > 0)) {
      E.text(li, ".cs-support", fill(C.support_n, {n: q.support || 0}));
    }
    E.variant(E.text(li, ".cs-badge", C["q_" + q.status] || q.status), "q-", q.status);
    var approve = E.keep(li, '[data-action="q-approve"]', q.status === "pending" || q.status === "hidden");
    if (approve) { approve.textContent = q.status === "pending" ? C.approve : C.restore; }
    E.keep(li, '[data-action="q-hide"]', q.status !== "hidden");
    E.keep(li, '[data-action="q-answered"]', q.status === "approved");
    var area = li.querySelector("textarea");
    area.setAttribute("data-q-answer", q.id);
    area.setAttribute("data-server", q.answer || "");
    area.value = q.answer || "";
  }

  /* Re-render the questions without losing what the secretary is typing. */
  function renderQuestions() {
    var list = byId("cs-questions");
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
    // the most supported first; equal support in the order asked
    qs = qs.slice().sort(function (a, b) { return (b.support || 0) - (a.support || 0) || a.id - b.id; });
    E.rows(list, qs, questionRow);
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
    var box = byId("cs-alerts");
    var list = st().alerts || [];
    E.rows(box, list, function (li, alert) { li.textContent = E.alertText(alert, L); });
    box.hidden = list.length === 0;
  }

  // --- paper ballots: the scrutineers' count of the open vote -------------------------------------

  var paperBox = byId("cs-paper");
  var paperForm = byId("cs-paper-form");
  var paperGroup = paperForm.querySelector("[data-paper-group]");
  var paperKey = "";   // the vote (item:round) the fields were last filled for
  var paperGrid = "";  // the scale, criteria and groups the grid was built for

  /* The grid of the meeting's paper sheet: a column per choice, a line per criterion (one line
     without criteria), and the rater groups to pick from. Built again only when those change. */
  function buildPaperGrid() {
    var m = st().meeting || {};
    var choices = m.choices || [];
    var lines = m.criteria && m.criteria.length ? m.criteria : [{key: "", label: C.paper_sheets}];
    var groups = m.groups || [];
    var signature = JSON.stringify([choices, lines, groups]);
    if (signature === paperGrid) { return; }
    paperGrid = signature;
    E.rows(paperForm.querySelector("[data-paper-head]"), [null].concat(choices), function (th, c) {
      th.textContent = c ? E.choiceName(m, c.key, L) : "";
    });
    E.rows(paperForm.querySelector("[data-paper-lines]"), lines, function (tr, line) {
      tr.setAttribute("data-paper-line", line.key);
      E.rows(tr, [null].concat(choices), function (td, c) {
        var input = td.querySelector("input");
        if (!c) {
          td.removeChild(input);
          td.className = "cs-pline";
          td.textContent = line.label;
          return;
        }
        var name = E.choiceName(m, c.key, L);
        input.setAttribute("data-paper-choice", c.key);
        if (line.key) { input.setAttribute("data-paper-criterion", line.key); }
        input.name = (line.key ? line.key + "." : "") + c.key;
        input.setAttribute("aria-label", line.key ? line.label + " \u00b7 " + name : name);
      });
    });
    E.rows(paperGroup, groups, function (option, g) {
      option.value = g.key;
      option.textContent = g.label;
    });
    paperForm.querySelector("[data-paper-groupbox]").hidden = !groups.length;
  }

  /* The group the moderator is entering sheets for ("" without rater groups). */
  function chosenGroup() {
    var m = st().meeting || {};
    return m.groups && m.groups.length ? paperGroup.value : "";
  }

  /* The count entered so far for the chosen group (the meeting's own without groups), or null. */
  function chosenEntry() {
    var p = data.paper;
    if (!p) { return null; }
    var group = chosenGroup();
    if (!group) { return p.entered; }
    return (p.entries || []).filter(function (e) { return e.group === group; })[0] || null;
  }

  /* Put an entered count (or nothing) into the form's fields. */
  function fillPaperForm(entered) {
    paperForm.querySelectorAll("[data-paper-choice]").forEach(function (input) {
      var choice = input.getAttribute("data-paper-choice");
      var criterion = input.getAttribute("data-paper-criterion");
      var counts = entered ? (criterion ? entered.counts[criterion] || {} : entered.counts) : null;
      input.value = counts ? (counts[choice] || 0) : "";
    });
    paperForm.querySelector("[data-paper-invalid]").value = entered ? entered.invalid : "";
    if (entered || !paperForm.querySelector("[data-paper-scrutineers]").value) {
      paperForm.querySelector("[data-paper-scrutineers]").value = entered ? entered.scrutineers.join("\u3001") : "";
    }
  }

  /* Shown while a vote with paper voters is open; the fields are refilled only for a new vote,
     another group, or after an entry — never while the moderator types. */
  function renderPaper() {
    var p = data.paper;
    var voting = phase() === "voting" && p && st().voting && st().voting.item_id === p.item_id;
    paperBox.hidden = !(voting && (p.paper_present || p.entered || (p.entries || []).length));
    if (!p) { paperKey = ""; return; }
    buildPaperGrid();
    paperBox.setAttribute("data-item", p.item_id);
    var entry = chosenEntry();
    E.text(paperBox, '[data-paper="present"]', fill(C.paper_present, {n: p.paper_present}));
    E.text(paperBox, '[data-paper="entered"]', entry
      ? fill(C.paper_entered, {n: entry.ballots, invalid: entry.invalid}) : C.paper_none);
    var key = p.item_id + ":" + p.round;
    if (key !== paperKey) { paperKey = key; fillPaperForm(entry); }
  }

  paperGroup.addEventListener("change", function () {
    fillPaperForm(chosenEntry());
    renderPaper();
  });

  function paperBody() {
    var counts = {};
    paperForm.querySelectorAll("[data-paper-choice]").forEach(function (input) {
      var n = input.value.trim() === "" ? 0 : Number(input.value);
      var criterion = input.getAttribute("data-paper-criterion");
      var line = counts;
      if (criterion) { line = counts[criterion] = counts[criterion] || {}; }
      line[input.getAttribute("data-paper-choice")] = n;
    });
    var invalid = paperForm.querySelector("[data-paper-invalid]").value.trim();
    var names = paperForm.querySelector("[data-paper-scrutineers]").value.split(/[,\uff0c\u3001;\uff1b\n]+/)
      .map(function (name) { return name.trim(); }).filter(Boolean);
    var body = {counts: counts, invalid: invalid === "" ? 0 : Number(invalid), scrutineers: names};
    if (chosenGroup()) { body.group = chosenGroup(); }
    return body;
  }

  /* Keep what the server answered for an entry: the meeting's count, or one group's. */
  function keepEntry(entered) {
    var p = data.paper;
    if (!p || p.item_id !== entered.item_id) { return; }
    // a group's answer says how many of that group's paper voters are present: not the total
    if (!entered.group) { p.entered = entered; p.paper_present = entered.paper_present; }
    p.entries = (p.entries || []).filter(function (e) { return e.group !== entered.group; }).concat([entered]);
  }

  paperForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var p = data.paper;
    var button = paperForm.querySelector("[data-paper-submit]");
    if (!p || button.disabled) { return; }
    button.disabled = true;
    api("PUT", "/items/" + p.item_id + "/paper_count", paperBody()).then(function (entered) {
      keepEntry(entered);
      fillPaperForm(entered);
      renderPaper();
      toast(C.paper_saved, "ok");
    }, function (err) {
      toast(err.code === "network" || !err.message ? (err.message || C.err_failed)
        : fill(C.err_failed_because, {message: err.message}));
    }).then(function () {
      button.disabled = false;
      scheduleRefresh();
    });
  });

  function renderAll() {
    renderAlerts();
    renderHeader();
    renderItems();
    renderCurrent();
    renderQuestions();
    renderRoster();
    renderPaper();
  }

  function renderProgress() {
    var p = data.progress;
    if (!p || !E.votedCount(byId("cs-current"), p.ballots, p.present, L)) { renderCurrent(); }
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
        data.paper = fresh.paper;
        data.group_ballots = fresh.group_ballots;
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

  /* What to ask before closing the vote on `item`, or "": who present has not voted, and every
     rater group with fewer than 3 ballots (its figures could give its members' choices away).
     The groups' counts are read fresh, so the warning is about the vote as it stands. */
  function closeWarning(item) {
    var p = data.progress;
    var missing = p && p.item_id === item ? Math.max(0, p.present - p.ballots) : 0;
    return fetch(dataUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (resp) { return resp.ok ? resp.json() : {}; }, function () { return {}; })
      .then(function (fresh) {
        var groups = fresh.group_ballots || data.group_ballots || [];
        var few = groups.filter(function (g) { return g.ballots > 0 && g.ballots < 3; });
        var parts = [];
        if (few.length) {
          parts.push(fill(C.close_small_groups, {groups: few.map(function (g) {
            return g.label + " (" + g.ballots + ")";
          }).join("\u3001")}));
        }
        parts.push(missing > 0 ? fill(C.close_unvoted, {n: missing}) : (few.length ? C.close_anyway : ""));
        return parts.join(" ").trim();
      });
  }

  function run(action, el) {
    var item = currentItemId();
    var qid = el.getAttribute("data-q");
    var rep = el.getAttribute("data-rep");
    switch (action) {
      case "present": return api("POST", "/items/" + el.getAttribute("data-item") + "/present");
      case "start":
        return ask((data.items || []).length ? C.start_confirm : C.start_no_items, false).then(function (ok) {
          if (ok === null) { return null; }
          return api("POST", "/meetings/" + meetingId + "/start");
        });
      case "open-questions": return api("POST", "/meetings/" + meetingId + "/questions/open");
      case "close-questions": return api("POST", "/meetings/" + meetingId + "/questions/close");
      case "open-voting":
        return ask(fill(C.open_confirm, {title: st().item.title}), false).then(function (ok) {
          if (ok === null) { return null; }
          return api("POST", "/items/" + item + "/voting/open");
        });
      case "close-voting":
        return closeWarning(item).then(function (warning) {
          return warning ? ask(warning, false) : "";
        }).then(function (ok) {
          if (ok === null) { return null; }
          return api("POST", "/items/" + item + "/voting/close");
        });
      case "next": return api("POST", "/meetings/" + meetingId + "/next");
      case "clear": return api("POST", "/meetings/" + meetingId + "/clear");
      case "revote":
        return ask(C.revote_reason, true).then(function (reason) {
          if (reason === null) { return null; }
          return api("POST", "/items/" + item + "/revote", {reason: reason});
        });
      case "finish":
        var pending = (data.items || []).filter(function (i) { return i.status === "pending"; }).length;
        return ask(pending ? fill(C.finish_pending, {n: pending}) : C.finish_confirm, false).then(function (ok) {
          if (ok === null) { return null; }
          return api("POST", "/meetings/" + meetingId + "/finish");
        });
      case "recuse":
        var select = document.querySelector("#cs-current .cs-rcwho");
        var who = select ? Number(select.value) : 0;
        if (!who) { return Promise.resolve(null); }
        var name = select.options[select.selectedIndex].textContent;
        return ask(fill(C.recusal_reason, {name: name}), true).then(function (reason) {
          if (reason === null) { return null; }
          return api("POST", "/items/" + item + "/recusals", {representative_id: who, reason: reason}).then(function (r) {
            toast(C.saved, "ok");
            return r;
          });
        });
      case "mark-present": return api("PATCH", "/representatives/" + rep, {present: true});
      case "mark-absent":
        var absentee = (data.roster || []).filter(function (r) { return String(r.id) === rep; })[0];
        return ask(fill(C.absent_confirm, {name: absentee ? absentee.name : ""}), false).then(function (ok) {
          if (ok === null) { return null; }
          return api("PATCH", "/representatives/" + rep, {present: false});
        });
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

  var conn = byId("cs-conn");

  function connection(status, err) {
    conn.setAttribute("data-connected", status === "connected" ? "1" : "0");
    if (status === "connected") { conn.textContent = C.live_connected; scheduleRefresh(0); }
    if (status === "reconnecting") { conn.textContent = L.reconnecting; }
    if (status === "refused") {
      conn.textContent = !err ? C.err_network
        : (err.message ? fill(C.err_failed_because, {message: err.message}) : C.err_failed);
    }
  }

  function onState(snapshot) {
    var before = st();
    var changedItem = (before.item && before.item.id) !== (snapshot.item && snapshot.item.id);
    if (refusal && (changedItem || snapshot.attendance.present !== before.attendance.present)) { refusal = null; }
    data.state = snapshot;
    data.meeting.status = snapshot.meeting.status;
    data.meeting.title = snapshot.meeting.title;
    if (!snapshot.voting || (data.progress && data.progress.item_id !== snapshot.voting.item_id) ||
        (before.voting && before.voting.round !== snapshot.voting.round)) {
      data.progress = null; // a new round (a re-vote) starts from nobody
    }
    renderAlerts();
    renderHeader();
    renderItems();
    renderCurrent();
    renderQuestions();
    renderPaper();
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
      data.paper = null;
      renderCurrent();
      renderPaper();
    }
    scheduleRefresh();
  }

  function onQuestions(payload) {
    data.questions = payload;
    renderQuestions();
  }

  renderAll();

  var socket = E.connect({auth: {meeting_id: meetingId}}, connection);
  if (!socket) { return; }
  socket.on("state", onState);
  socket.on("progress", onProgress);
  socket.on("result", onResult);
  socket.on("questions", onQuestions);
  socket.on("alert", function (payload) {
    var before = (st().alerts || []).length ? st().alerts[0].id : 0;
    st().alerts = payload.alerts || [];
    var newest = st().alerts[0];
    if (newest && newest.id !== before) { toast(E.alertText(newest, L)); }
    renderAlerts();
  });
  root.setAttribute("data-ready", "1");
})();
