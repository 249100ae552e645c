/* The projector screen: renders the live snapshot of one meeting, from the page's initial
   JSON and then from every `state`, `progress`, `result` and `questions` event of /live.
   Its markup is templates/projector/_stage.html's: each render clones the stage's view from
   its <template> (idle, item, voting, result) and fills it. While voting is open it only ever
   shows how many have voted (the server never sends counts before close). */
(function () {
  "use strict";

  var E = window.Evalmeet;
  var screen = E && E.screen("projector");
  if (!screen) { return; }
  var L = E.data("pj-strings");
  var initial = E.data("pj-initial");
  var state = initial.state;
  var progress = initial.progress;
  var lang = screen.lang;
  var stage = document.getElementById("pj-stage");

  function shownQuestion(q) { return q.status === "approved" || q.status === "answered"; }
  function tiny() { return screen.tiny(state.attendance); }

  // --- the parts of a view ------------------------------------------------------------------------

  function itemHead(view, item, round) {
    var person = item.responsible_person || {};
    var no = E.fill(L.item_no, {n: item.position});
    if (round && round > 1) { no += " \u00b7 " + E.fill(L.round, {n: round}); }
    E.text(view, ".pj-itemno", no);
    E.text(view, ".pj-itemtitle", item.title);
    E.text(view, ".pj-who", [person.name, person.department, person.position].filter(Boolean).join(" \u00b7 "));
  }

  function risks(view, item) {
    var flags = item.risk_flags || [];
    var box = E.keep(view, ".pj-risks", flags.length);
    if (box) {
      E.rows(box.querySelector("ul"), flags, function (li, flag) { li.textContent = E.flagText(flag, lang); });
    }
    E.keep(view, ".pj-norisk", !flags.length);
  }

  function questions(view, item) {
    // the most supported first; equal support in the order asked
    var listed = (item.questions || []).filter(shownQuestion).sort(function (a, b) {
      return (b.support || 0) - (a.support || 0) || a.id - b.id;
    });
    var open = !!item.questions_open;
    var badge = E.text(view, ".pj-qstate", open ? L.questions_open : L.questions_closed);
    badge.classList.toggle("open", open);
    badge.classList.toggle("closed", !open);
    var list = E.keep(view, ".pj-qlist", listed.length);
    if (list) {
      E.rows(list, listed, function (li, q) {
        li.classList.add(q.status);
        E.text(li, ".pj-qtext", q.text);
        if (E.keep(li, ".pj-support", q.support > 0)) { E.text(li, ".pj-support", E.fill(L.support_n, {n: q.support})); }
        if (E.keep(li, ".pj-qans", q.answer)) { E.text(li, ".pj-qans-text", q.answer); }
      });
    }
    E.keep(view, ".pj-noq", !listed.length);
  }

  // --- the views ----------------------------------------------------------------------------------

  function idleView(view) {
    var status = state.meeting.status;
    E.text(view, ".pj-idle-msg", status === "closed" ? L.finished : (status === "draft" ? L.not_started : L.waiting));
    var closed = status === "closed";
    if (E.keep(view, ".pj-bigatt", !closed)) { E.attendance(view, state.attendance, L, "bad"); }
    E.keep(view, ".pj-badge.big", !closed);
    var summary = E.keep(view, ".pj-summary", closed);
    if (summary) {
      E.rows(summary.querySelector("tbody"), state.summary || [], function (tr, row) {
        var r = row.result;
        tr.classList.remove("open");
        tr.classList.add(r ? (r.passed ? "passed" : "failed") : "open");
        E.text(tr, ".pj-sum-pos", row.position);
        E.text(tr, ".pj-sum-title", row.title);
        E.text(tr, ".pj-sum-rate", r ? E.percent(r.satisfaction) + " \u00b7 " + E.fill(L.ballots_of, {n: r.ballots, m: r.present}) : "");
        E.text(tr, ".pj-sum-verdict", r ? (r.passed ? L.passed : L.failed) : L.not_voted);
      });
    }
  }

  function itemView(view) {
    itemHead(view, state.item);
    E.facts(view, state.item, L);
    risks(view, state.item);
    E.keep(view, ".pj-tiny", tiny());
    questions(view, state.item);
  }

  function votingView(view) {
    itemHead(view, state.item, state.voting.round);
    E.votedCount(view, progress ? progress.ballots : 0, progress ? progress.present : state.attendance.present, L);
    var reason = state.voting.revote_reason;
    if (E.keep(view, ".pj-revote", reason)) { E.text(view, ".pj-revote", E.fill(L.revote_reason, {reason: reason})); }
    E.keep(view, ".pj-tiny", tiny());
  }

  function resultView(view) {
    var r = state.result;
    itemHead(view, state.item, r.round);
    // every rating counts: with criteria the counts add up to ballots x criteria
    var rated = E.choicesOf(r).reduce(function (sum, c) { return sum + ((r.counts && r.counts[c]) || 0); }, 0);
    E.rows(view.querySelector(".pj-chart"), E.choicesOf(r), function (row, choice) {
      var count = (r.counts && r.counts[choice]) || 0;
      var bar = row.querySelector(".pj-svgbar");
      E.variant(row, "c-", choice);
      E.variant(bar, "c-", choice);
      E.text(row, ".pj-row-lbl", E.choiceName(state.meeting, choice, L));
      bar.querySelector(".fill").setAttribute("width", E.barWidth(count, rated));
      E.text(row, ".pj-row-n", count);
    });
    var verdict = view.querySelector(".pj-verdict");
    verdict.classList.toggle("passed", !!r.passed);
    verdict.classList.toggle("failed", !r.passed);
    E.text(view, ".pj-banner", r.passed ? L.passed : L.failed);
    E.text(view, ".pj-rate", E.rateText(r, L));
    E.text(view, ".pj-rule", L.threshold + " \u2265 " + r.pass_threshold +
      (r.criteria && state.meeting.pass_rule === "every_criterion" ? " " + L.every_criterion : ""));
    E.text(view, ".pj-turnout", E.fill(L.ballots_of, {n: r.ballots, m: r.present}));
    var channels = E.channelsText(r, L);
    if (E.keep(view, ".pj-channels", channels)) { E.text(view, ".pj-channels", channels); }
    var sheet = E.keep(view, ".pj-sheet", r.criteria || r.groups || r.average_score);
    if (sheet) { E.sheetFigures(sheet, r, state.meeting, L); }
    view.classList.toggle("pj-has-sheet", !!(r.criteria || r.groups));
  }

  /* Which view the snapshot calls for, and how to fill it. */
  function currentView() {
    if (!state.item) { return ["idle", idleView]; }
    if (state.phase === "voting" && state.voting) { return ["voting", votingView]; }
    if (state.phase === "result" && state.result) { return ["result", resultView]; }
    return ["item", itemView];
  }

  // --- rendering ----------------------------------------------------------------------------------

  function render() {
    E.text(document, "#pj-title", state.meeting.title);
    document.title = state.meeting.title;
    var att = document.getElementById("pj-att");
    E.attendance(att, state.attendance, L, "bad");
    att.hidden = !state.item; // the idle stage shows the figures big: once is enough
    var chosen = currentView();
    var view = E.clone(document.getElementById("pj-view-" + chosen[0]));
    chosen[1](view);
    stage.setAttribute("data-phase", state.item ? state.phase : "idle");
    while (stage.firstChild) { stage.removeChild(stage.firstChild); }
    stage.appendChild(view);
    E.show(document, "#pj-join", state.meeting.status !== "closed");
    renderAlerts();
    if (E.countdown) { E.countdown.update(state); }
    // More questions than fit: keep the newest in view (the oldest scroll off the top) — unless
    // the room backs some: then the most supported, at the top, stay in view.
    var list = stage.querySelector(".pj-qlist");
    var backed = !!(state.item && (state.item.questions || []).some(function (q) { return q.support > 0; }));
    if (list) { list.scrollTop = backed ? 0 : list.scrollHeight; }
  }

  /* Alerts (a join link used from a second device, a link re-issued): the newest three, so
     the room sees them; the console keeps the full list. */
  function renderAlerts() {
    var box = document.getElementById("pj-alerts");
    var list = (state.alerts || []).slice(0, 3);
    E.rows(box, list, function (li, alert) {
      E.variant(li, "pj-alert-", alert.kind);
      li.textContent = E.alertText(alert, L);
    });
    box.hidden = list.length === 0;
  }

  /* Progress changes often: update the number and the bar in place (the bar animates). */
  function renderProgress() {
    if (!progress || !E.votedCount(stage, progress.ballots, progress.present, L)) { render(); }
  }

  // --- the live channel ---------------------------------------------------------------------------

  var conn = document.getElementById("pj-conn");

  function connection(status, err) {
    conn.hidden = status === "connected";
    conn.classList.toggle("refused", status === "refused");
    if (status === "reconnecting") { conn.textContent = L.reconnecting; }
    if (status === "refused") { conn.textContent = L.refused + (err && err.message ? ": " + err.message : ""); }
  }

  function onState(snapshot) {
    var before = state.voting;
    state = snapshot;
    if (!state.voting || (progress && progress.item_id !== state.voting.item_id)) { progress = null; }
    // a new round (a re-vote) starts from nobody: not the last round's count
    if (state.voting && before && before.round !== state.voting.round) { progress = null; }
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
    state.item.questions = (payload.questions || []).filter(shownQuestion);
    render();
  }

  render();

  var socket = E.connect({auth: {display: screen.root.getAttribute("data-token")}}, connection);
  if (!socket) { return; }
  socket.on("state", onState);
  socket.on("progress", onProgress);
  socket.on("result", onResult);
  socket.on("questions", onQuestions);
  socket.on("alert", function (payload) { state.alerts = payload.alerts || []; renderAlerts(); });
  screen.root.setAttribute("data-ready", "1");
})();
