/* evalmeet — the representative's phone page.
 *
 * Shows the item under review, sends questions, and casts the secret ballot in two taps
 * (choose, confirm) — or, when the meeting rates several criteria, as one rating sheet: a row
 * of choices per criterion and one confirmation for the whole sheet. Built for a cheap phone
 * on bad Wi-Fi:
 *  - the page starts from the snapshot embedded by the server, then follows the /live channel;
 *  - a ballot gets a random key when it is confirmed and is kept in localStorage until the
 *    server acknowledges it; it is re-sent with the same key after every (re)connect, so it is
 *    counted exactly once whatever the network does (socket.io-client retries: 3, ackTimeout);
 *  - the receipt code is kept per item and round, so a reload still shows "voted".
 * The markup is templates/phone/phone.html's: the lists are filled from the <template> each
 * holds. No framework (the shared helpers of live.js), old-browser-friendly syntax (no optional
 * chaining), no inline code (CSP).
 */
(function () {
  "use strict";

  var E = window.Evalmeet;
  function $(id) { return document.getElementById(id); }

  var T = E && E.data("phone-strings");
  var boot = E && E.data("phone-boot");
  if (!T || !boot) { return; }

  var lang = boot.lang;
  var state = boot.state;
  var me = state.me || { id: boot.rep.id, name: boot.rep.name, present: false };
  var STORE = "evalmeet.";

  var socket = null;
  var conn = "connecting";      // connecting | connected | reconnecting | offline | refused
  var refusedReason = "";
  var revoked = false;
  var inflight = false;         // our ballot is in socket.io's retry queue
  var retrying = false;
  var chosen = null;            // tapped, not yet confirmed
  var voteError = null;         // error code of the last refused ballot
  var voteErrorMessage = "";    // and the server's message for it
  var votedRounds = {};         // "item.round" -> true, from exact snapshots and acks
  var progress = null;          // last progress payload
  var lastResult = state.result || null;
  var busy = { question: false, recusal: false };  // a form's emit is in flight
  var recusalFormOpen = false;
  var supportBusy = {};         // question id -> true while its support_question is in flight
  var builtChoices = "";        // which choice buttons are on screen
  var sheet = {};               // a rating sheet being filled in: criterion -> choice (not sent yet)
  var builtSheet = "";          // which sheet rows are on screen

  // --- storage (private mode may refuse localStorage: fall back to memory) ---------------

  var memory = {};
  function put(key, value) {
    try {
      if (value === null) { localStorage.removeItem(STORE + key); } else { localStorage.setItem(STORE + key, JSON.stringify(value)); }
      return;
    } catch (e) { /* fall through */ }
    if (value === null) { delete memory[key]; } else { memory[key] = value; }
  }
  function get(key) {
    try {
      var raw = localStorage.getItem(STORE + key);
      if (raw !== null) { return JSON.parse(raw); }
    } catch (e) { /* fall through */ }
    return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
  }
  function receiptKey(itemId, round) { return "receipt." + me.id + "." + itemId + "." + round; }
  function receiptsKey() { return "receipts." + me.id; }
  function pendingKey() { return "pending." + me.id; }
  function pendingBallot() { return get(pendingKey()); }
  function questionKey() { return "question." + me.id; }
  function supportKey(questionId) { return "support." + me.id + "." + questionId; }

  // --- small helpers -----------------------------------------------------------------------

  var fmt = E.fill;
  function setText(id, text) { E.text(document, "#" + id, text); }
  function show(id, visible) { E.show(document, "#" + id, visible); }
  function money(value) {
    return value === null || value === undefined || value === "" ? T.none : T.yuan + E.money(value);
  }
  function choiceLabel(code) { return E.label(T.choices, code); }
  // The rating sheet's criteria of an open vote, or null (one verdict).
  function criteriaOf(v) { return v && v.criteria && v.criteria.length ? v.criteria : null; }
  // Every choice of the vote's scale with its flags (older snapshots: the keys only).
  function scaleOf(v) {
    if (v.scale && v.scale.length) { return v.scale; }
    return v.choices.map(function (key) { return { key: key, label: key }; });
  }
  // A choice's name: a preset's translated, a custom scale's as the moderator wrote it.
  function choiceName(code, v) {
    if (state.meeting.scale !== "custom" && Object.prototype.hasOwnProperty.call(T.choices, code)) {
      return T.choices[code];
    }
    var scale = (v && v.scale) || [];
    for (var i = 0; i < scale.length; i++) { if (scale[i].key === code) { return scale[i].label || code; } }
    return choiceLabel(code);
  }
  // The phone's own sentence for the codes it knows; else the server's (translated by its code).
  function errorText(code, message) { return (T.errors && T.errors[code]) || message || T.errors.other; }

  function newKey() {
    var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    var bytes = new Uint8Array(32);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var out = "";
    for (var i = 0; i < bytes.length; i++) { out += alphabet.charAt(bytes[i] & 63); }
    return out;
  }

  function currentVoting() { return state.phase === "voting" ? state.voting : null; }
  // This representative's recusal from the item on the floor (recusals are public), or null.
  function myRecusal() {
    var list = (state.item && state.item.recusals) || [];
    for (var i = 0; i < list.length; i++) { if (list[i].representative_id === me.id) { return list[i]; } }
    return null;
  }
  function roundKey(v) { return v.item_id + "." + v.round; }
  function hasVoted(v) {
    return !!(v && (get(receiptKey(v.item_id, v.round)) || votedRounds[roundKey(v)]));
  }

  // --- rendering ---------------------------------------------------------------------------

  function renderConnection() {
    var el = $("conn");
    el.setAttribute("data-conn", conn);
    var text = T[conn] || T.connecting;
    if (conn === "refused") { text = fmt(T.refused, { reason: refusedReason }); }
    setText("conn-text", text);
  }

  function renderNotice() {
    var live = state.meeting.status === "live";
    var text = null;
    if (revoked) { text = T.revoked; }
    else if (state.meeting.status === "closed") { text = T.closed; }
    else if (state.meeting.status === "draft") { text = T.draft; }
    else if (live && !me.present) { text = T.not_checked_in; }
    else if (live && !state.item) { text = T.idle; }
    setText("notice", text);
    show("notice", text !== null);
    var tag = $("me-presence");
    tag.textContent = live ? (me.present ? T.present : T.absent) : "";
    tag.className = "ph-tag " + (me.present ? "ph-tag-ok" : "ph-tag-warn");
    tag.hidden = !live;
  }

  function renderItem() {
    var item = state.item;
    show("item", !!item && !revoked);
    if (!item) { return; }
    setText("item-kicker", fmt(T.item_no, { n: item.position || item.id }));
    setText("item-title", item.title);
    var person = item.responsible_person || {};
    setText("item-person", [person.name, person.position, person.department].filter(function (x) { return x; }).join(" · ") || T.none);
    setText("item-amount", money(item.amount));
    setText("item-method", item.procurement_method ? (T.methods[item.procurement_method] || item.procurement_method) : T.none);
    setText("item-suppliers", item.supplier_count === null || item.supplier_count === undefined ? T.none : String(item.supplier_count));
    setText("item-benchmark", money(item.benchmark_price));
    setText("item-unit", money(item.unit_price));
    show("row-benchmark", !!item.benchmark_price);
    show("row-unit", !!item.unit_price);
    setText("item-desc", item.description || "");
    show("item-desc", !!item.description);
    var flags = item.risk_flags || [];
    E.rows($("risk-list"), flags, function (li, flag) { li.textContent = E.flagText(flag, lang); });
    show("risk", flags.length > 0);
  }

  function buildChoices(v) {
    var signature = v.item_id + "." + v.round + ":" + v.choices.join(",");
    if (signature === builtChoices) { return; }
    builtChoices = signature;
    E.rows($("choices"), v.choices, function (button, code) {
      E.variant(button, "ph-choice-", code).setAttribute("data-choice", code);
      button.textContent = choiceName(code, v);
      button.addEventListener("click", function () { choose(code); });
    });
  }

  /* The sheet's rows, built once per vote (a tap only marks its button: see markSheet). */
  function buildSheet(v) {
    var criteria = criteriaOf(v);
    var signature = roundKey(v) + ":" + v.choices.join(",") + ":" +
      criteria.map(function (c) { return c.key + "=" + c.label; }).join(",");
    if (signature !== builtSheet) {
      builtSheet = signature;
      E.rows($("sheet-rows"), criteria, function (li, criterion) {
        li.setAttribute("data-criterion", criterion.key);
        E.text(li, ".ph-slabel", criterion.label);
        var options = li.querySelector(".ph-sopts");
        options.setAttribute("aria-label", criterion.label);
        E.rows(options, scaleOf(v), function (button, choice) {
          E.variant(button, "ph-sopt-", choice.satisfied === false ? "no" : "yes");
          button.setAttribute("data-choice", choice.key);
          button.textContent = choiceName(choice.key, v);
          button.addEventListener("click", function () { rate(criterion.key, choice.key); });
        });
      });
    }
    markSheet(v);
  }

  function sheetRated(v) {
    return criteriaOf(v).filter(function (c) { return Object.prototype.hasOwnProperty.call(sheet, c.key); }).length;
  }

  /* Mark each row's rating; the confirm button only once every row is rated. */
  function markSheet(v) {
    var rows = $("sheet-rows").querySelectorAll(".ph-srow");
    Array.prototype.forEach.call(rows, function (li) {
      var mine = sheet[li.getAttribute("data-criterion")] || null;
      li.classList.toggle("ph-srow-done", !!mine);
      Array.prototype.forEach.call(li.querySelectorAll(".ph-sopt"), function (button) {
        var on = button.getAttribute("data-choice") === mine;
        button.classList.toggle("ph-sopt-on", on);
        button.setAttribute("aria-checked", on ? "true" : "false");
      });
    });
    var total = criteriaOf(v).length;
    var rated = sheetRated(v);
    setText("sheet-left", rated === total ? T.sheet_ready : fmt(T.sheet_left, { n: rated, m: total }));
    $("sheet-left").classList.toggle("ph-sleft-ready", rated === total);
    $("sheet-confirm").disabled = rated !== total;
  }

  function renderVote() {
    var v = currentVoting();
    var p = pendingBallot();
    var visible = !revoked && (!!v || !!p || (voteError !== null && !!state.item));
    show("vote", visible);
    if (!visible) { return; }
    var voted = v && hasVoted(v);
    var recused = !!(v && myRecusal() && state.item && state.item.id === v.item_id);
    var mode = "none";
    if (p) { mode = "pending"; }
    else if (voted) { mode = "done"; }
    else if (v && me.ballot === "paper") { mode = "paper"; }
    else if (recused) { mode = "recused"; }
    else if (v && criteriaOf(v)) { mode = "sheet"; }
    else if (v && chosen) { mode = "confirm"; }
    else if (v) { mode = "choose"; }
    show("vote-choose", mode === "choose");
    show("vote-sheet", mode === "sheet");
    if (mode === "sheet") { buildSheet(v); }
    show("vote-confirm", mode === "confirm");
    show("vote-pending", mode === "pending");
    show("vote-done", mode === "done");
    show("vote-paper", mode === "paper");
    if (mode === "choose") { buildChoices(v); }
    if (mode === "confirm") {
      var c = $("confirm-choice");
      c.textContent = choiceName(chosen, v);
      c.className = "ph-chosen ph-chosen-" + chosen;
    }
    if (mode === "pending") {
      var text = T.sending;
      if (!socket || !socket.connected) { text = T.saved_offline; }
      else if (retrying) { text = T.retrying; }
      setText("pending-text", text);
    }
    if (mode === "done") {
      var receipt = get(receiptKey(v.item_id, v.round));
      setText("done-text", receipt ? T.voted : T.voted_elsewhere);
      setText("receipt", receipt || "");
      show("receipt-line", !!receipt);
      setText("receipt-help", receipt ? T.receipt_help : "");
      show("receipt-help", !!receipt);
    }
    var errorCode = mode === "recused" ? "recused" : voteError;
    $("vote-error").classList.toggle("ph-calm", mode === "recused");
    setText("vote-error", errorCode ? errorText(errorCode, voteErrorMessage) : "");
    show("vote-error", !!errorCode && mode !== "pending");
    // A re-vote says so, with its reason, so nobody thinks their first ballot was lost.
    var again = !!(v && v.round > 1);
    if (again) {
      setText("vote-round", fmt(T.round, { n: v.round }));
      setText("vote-reason", v.revote_reason ? fmt(T.revote_reason, { reason: v.revote_reason }) : T.revote);
    }
    show("vote-round-box", again);
    var showProgress = !!(v && progress && progress.item_id === v.item_id);
    if (showProgress) { setText("vote-progress", fmt(T.progress, progress)); }
    show("vote-progress", showProgress);
  }

  function renderResult() {
    var item = state.item;
    var result = state.result || (lastResult && item && lastResult.item_id === item.id ? lastResult : null);
    var visible = !revoked && !!item && state.phase === "result" && !!result;
    show("result", visible);
    if (!visible) { return; }
    var verdict = $("result-verdict");
    verdict.textContent = result.passed ? T.passed : T.failed;
    verdict.className = "ph-verdict " + (result.passed ? "ph-passed" : "ph-failed");
    var den = parseInt(String(result.satisfaction || "0/0").split("/")[1], 10);
    setText("result-rate", den > 0 ? result.satisfaction + " (" + E.percent(result.satisfaction) + ")" : T.none);
    E.rows($("result-counts"), E.choicesOf(result), function (li, code) {
      E.text(li, "span", E.choiceName(state.meeting, code, T.choices));
      E.text(li, "strong", (result.counts || {})[code] || 0);
    });
    // a rating sheet: each criterion's satisfaction (exact fractions shown as percentages)
    var criteria = E.labelled(state.meeting.criteria, result.criteria);
    E.rows($("result-criteria"), criteria, function (li, row) {
      li.setAttribute("data-criterion", row.key);
      E.text(li, "span", row.label);
      E.text(li, "strong", E.percent(row.satisfaction));
    });
    show("result-criteria", criteria.length > 0);
    setText("result-average", result.average_score ? fmt(T.average_score, { score: E.decimal(result.average_score) }) : "");
    show("result-average", !!result.average_score);
    setText("result-turnout", fmt(T.turnout, result));
  }

  function renderRecusal() {
    var item = state.item;
    var mine = myRecusal();
    // before the item's voting first opens, on a live meeting: a discreet link, then the form
    var canDeclare = !revoked && !!item && state.meeting.status === "live" && item.status === "pending" &&
      !item.vote_round && state.phase !== "voting" && !mine;
    show("recusal", !!item && !revoked && (canDeclare || !!mine || !$("recusal-feedback").hidden));
    if (!canDeclare) { recusalFormOpen = false; }
    show("recusal-open", canDeclare && !recusalFormOpen);
    show("recusal-form", canDeclare && recusalFormOpen);
    setText("recusal-done", mine ? fmt(T.recused, { reason: mine.reason }) : "");
    show("recusal-done", !!mine);
    $("recusal-send").disabled = busy.recusal;
  }

  /* Every receipt this phone was given in this meeting stays listed (also after voting closes,
     and after a reload), each with a link that checks it on /verify. Never the choice. */
  function keepReceipt(p, receipt) {
    var list = get(receiptsKey()) || [];
    var seen = list.some(function (r) { return r.item_id === p.item_id && r.round === p.round; });
    if (!seen) {
      list.push({ item_id: p.item_id, round: p.round, receipt: receipt, title: p.title || "", position: p.position || null });
      put(receiptsKey(), list);
    }
  }

  function renderReceipts() {
    var list = get(receiptsKey()) || [];
    show("receipts", list.length > 0 && !revoked);
    E.rows($("receipt-list"), list, function (li, r) {
      var head = r.position ? fmt(T.item_no, { n: r.position }) : "";
      if (r.round > 1) { head += (head ? " · " : "") + fmt(T.round, { n: r.round }); }
      E.text(li, ".ph-rc-item", [head, r.title].filter(function (x) { return x; }).join(" "));
      E.text(li, ".ph-rc-code", r.receipt);
      li.setAttribute("data-receipt", r.receipt);
      var link = li.querySelector("a");
      link.setAttribute("href", "/verify?code=" + encodeURIComponent(r.receipt) + "&lang=" + encodeURIComponent(lang));
    });
  }

  function renderQuestions() {
    var item = state.item;
    var visible = !revoked && !!item && state.meeting.status === "live";
    show("questions", visible);
    if (!visible) { return; }
    // the most supported first, as on the projector; equal support in the order asked
    var questions = (item.questions || []).slice().sort(function (a, b) {
      return (b.support || 0) - (a.support || 0) || a.id - b.id;
    });
    E.rows($("q-list"), questions, function (li, q) {
      E.text(li, "p", q.text);
      if (E.keep(li, ".ph-answer", q.answer)) { E.text(li, ".ph-answer", q.answer); }
      var button = E.keep(li, ".ph-support", q.status === "approved");
      if (button) {
        var mine = !!get(supportKey(q.id));
        button.textContent = fmt(mine ? T.supported : T.support, { n: q.support || 0 });
        button.setAttribute("data-question", String(q.id));
        button.setAttribute("aria-pressed", mine ? "true" : "false");
        button.disabled = mine || !!supportBusy[q.id];
        button.addEventListener("click", function () { supportQuestion(q.id); });
      }
    });
    show("q-list", (item.questions || []).length > 0);
    var open = !!item.questions_open && state.phase !== "voting";
    show("q-form", open);
    show("q-closed", !open);
    $("q-send").disabled = busy.question;
  }

  function render() {
    if (E.countdown) { E.countdown.update(state); }
    renderConnection();
    renderNotice();
    renderVote();
    renderResult();
    renderItem();
    renderRecusal();
    renderQuestions();
    renderReceipts();
  }

  // --- voting ------------------------------------------------------------------------------

  function choose(code) {
    chosen = code;
    voteError = null;
    render();
    var yes = $("confirm-yes");
    if (yes && yes.focus) { yes.focus(); }
  }

  function confirmVote() {
    var v = currentVoting();
    if (!v || !chosen || pendingBallot() || hasVoted(v)) { return; }
    var choice = chosen;
    chosen = null;
    queueBallot(v, { choice: choice });
  }

  function rate(criterion, code) {
    sheet[criterion] = code;
    voteError = null;
    render();
  }

  /* The one confirmation of a rating sheet: every row rated, sent as one ballot. */
  function confirmSheet() {
    var v = currentVoting();
    if (!v || !criteriaOf(v) || pendingBallot() || hasVoted(v) || sheetRated(v) !== criteriaOf(v).length) { return; }
    var choices = {};
    criteriaOf(v).forEach(function (c) { choices[c.key] = sheet[c.key]; });
    queueBallot(v, { choices: choices });
  }

  /* Keep the ballot (`choice`, or a sheet's `choices`) on the phone with a new key until the
     server acknowledges it, then send it: the outbox sendPending empties. */
  function queueBallot(v, ballot) {
    var onFloor = state.item && state.item.id === v.item_id ? state.item : {};
    ballot.item_id = v.item_id;
    ballot.round = v.round;
    ballot.key = newKey();
    ballot.title = onFloor.title || "";
    ballot.position = onFloor.position || null;
    put(pendingKey(), ballot);
    voteError = null;
    render();
    sendPending();
  }

  function settle(p, code, message) {
    put(pendingKey(), null);
    if (code === "already_voted") { votedRounds[p.item_id + "." + p.round] = true; }
    voteError = code;
    voteErrorMessage = message || "";
  }

  function sendPending() {
    var p = pendingBallot();
    if (!p || inflight || !socket || !socket.connected) { render(); return; }
    inflight = true;
    render();
    var body = { item_id: p.item_id, key: p.key, round: p.round };
    if (p.choices) { body.choices = p.choices; } else { body.choice = p.choice; }
    socket.emit("cast_vote", body, function (err, ack) {
      inflight = false;
      var now = pendingBallot();
      if (!now || now.key !== p.key) { render(); return; }
      if (err) {
        // every retry timed out: keep the ballot, try again shortly (same key: counted once)
        retrying = true;
        setTimeout(sendPending, 3000);
      } else if (ack && ack.ok) {
        put(receiptKey(p.item_id, p.round), ack.receipt);
        keepReceipt(p, ack.receipt);
        put(pendingKey(), null);
        votedRounds[p.item_id + "." + p.round] = true;
        retrying = false;
        voteError = null;
      } else {
        var code = ack && ack.error ? ack.error.code : "other";
        if (code === "rate_limited" || code === "internal_error") {
          retrying = true;
          setTimeout(sendPending, 3000);
        } else {
          retrying = false;
          settle(p, code, ack && ack.error && ack.error.message);
        }
      }
      render();
    });
  }

  // --- questions ---------------------------------------------------------------------------

  /* The line under a form (element `id`): `text`, marked as an error or not; hidden when empty. */
  function feedback(id, text, isError) {
    var el = $(id);
    el.textContent = text;
    el.className = "ph-feedback" + (isError ? " ph-feedback-error" : "");
    el.hidden = !text;
  }

  function questionFeedback(text, isError) { feedback("q-feedback", text, isError); }

  /* Send a form's one line of text about the item on the floor (the question and recusal forms):
     refused when empty (`form.empty`), offline or already sending (`busy[form.name]`). Volatile: a
     question is not idempotent, so these skip the retry queue; we only send them connected. The
     box empties and `form.sent(ack, itemId, text)` runs once the server took it; a refusal is
     shown as `form.refusal(error)` says. */
  function sendText(event, form) {
    event.preventDefault();
    var box = $(form.box);
    var text = box.value.replace(/^\s+|\s+$/g, "");
    if (!text || !state.item || busy[form.name]) {
      if (!text) { form.feedback(form.empty, true); }
      return;
    }
    if (!socket || !socket.connected) { form.feedback(T.offline, true); return; }
    busy[form.name] = true;
    form.feedback(T.question_sending, false);
    render();
    var itemId = state.item.id;
    socket.volatile.timeout(10000).emit(form.event, form.payload(itemId, text), function (err, ack) {
      busy[form.name] = false;
      if (err) { form.feedback(errorText("timeout"), true); }
      else if (ack && ack.ok) {
        box.value = "";
        form.sent(ack, itemId, text);
      } else {
        var error = ack && ack.error ? ack.error : {code: "other"};
        form.feedback(form.refusal(error), true);
      }
      render();
    });
  }

  function askQuestion(event) {
    sendText(event, {
      name: "question", box: "q-text", event: "ask_question", feedback: questionFeedback,
      empty: T.errors.validation_error,
      payload: function (itemId, text) { return { item_id: itemId, text: text }; },
      sent: function (ack) {
        put(questionKey(), { id: ack.question_id, item_id: state.item ? state.item.id : null, status: "pending" });
        questionFeedback(T.question_sent, false);
      },
      refusal: function (error) { return errorText(error.code, error.message); }
    });
  }

  function supportQuestion(questionId) {
    if (supportBusy[questionId] || get(supportKey(questionId))) { return; }
    if (!socket || !socket.connected) { questionFeedback(T.offline, true); return; }
    supportBusy[questionId] = true;
    render();
    // a repeat changes nothing on the server, so a lost ack may simply be tapped again
    socket.volatile.timeout(10000).emit("support_question", { question_id: questionId }, function (err, ack) {
      delete supportBusy[questionId];
      if (err) { questionFeedback(errorText("timeout"), true); }
      else if (ack && ack.ok) {
        put(supportKey(questionId), true);
        var list = (state.item && state.item.questions) || [];
        for (var i = 0; i < list.length; i++) { if (list[i].id === questionId) { list[i].support = ack.support; } }
      } else {
        var error = ack && ack.error ? ack.error : {code: "other"};
        questionFeedback(errorText(error.code, error.message), true);
      }
      render();
    });
  }

  // --- recusal (回避) -----------------------------------------------------------------------

  function recusalFeedback(text, isError) { feedback("recusal-feedback", text, isError); }

  function declareRecusal(event) {
    sendText(event, {
      name: "recusal", box: "recusal-reason", event: "declare_recusal", feedback: recusalFeedback,
      empty: T.recusal_reason,
      payload: function (itemId, reason) { return { item_id: itemId, reason: reason }; },
      sent: function (ack, itemId, reason) {
        recusalFormOpen = false;
        recusalFeedback(T.recusal_sent, false);
        // shown at once; the next snapshot carries it for good
        if (state.item && state.item.id === itemId && !myRecusal()) {
          state.item.recusals = (state.item.recusals || []).concat([{ representative_id: me.id, reason: reason }]);
        }
      },
      refusal: function (error) {
        return (T.recusal_errors && T.recusal_errors[error.code]) || errorText(error.code, error.message);
      }
    });
  }

  // --- the live channel --------------------------------------------------------------------

  function applyState(next) {
    var wasLive = state.meeting.status === "live";
    var before = currentVoting();
    var itemBefore = state.item ? state.item.id : null;
    state = next;
    if ((next.item ? next.item.id : null) !== itemBefore) { recusalFormOpen = false; recusalFeedback("", false); }
    if (next.me) { me = next.me; }
    var v = currentVoting();
    if (v && v.has_voted === true) { votedRounds[roundKey(v)] = true; }
    if (!v || !before || roundKey(v) !== roundKey(before)) { chosen = null; sheet = {}; }
    // A new round (a re-vote too) starts from nobody: the last round's "8 of 8" must not linger.
    if (v && (!before || roundKey(v) !== roundKey(before))) {
      var recused = (next.item && next.item.recusals) ? next.item.recusals.length : 0;
      progress = { item_id: v.item_id, ballots: 0, present: Math.max(0, next.attendance.present - recused) };
    }
    if (!v) { progress = null; }
    if (!v && state.phase !== "result") { voteError = null; }
    if (next.result) { lastResult = next.result; }
    // The meeting went live while this phone was connected: connecting counts as check-in.
    if (!wasLive && next.meeting.status === "live" && !me.present) { sync(); }
  }

  /* What became of this phone's question (the moderator approved, hid or answered it). */
  function questionModerated(payload) {
    var mine = get(questionKey());
    if (!payload || !mine || mine.id !== payload.question_id) { return; }
    mine.status = payload.status;
    put(questionKey(), mine);
    showQuestionStatus();
  }

  function showQuestionStatus() {
    var mine = get(questionKey());
    if (!mine || !state.item || mine.item_id !== state.item.id) { return; }
    var text = T.question_status && T.question_status[mine.status];
    if (text) { questionFeedback(text, false); }
  }

  function sync() {
    if (!socket || !socket.connected) { return; }
    socket.volatile.timeout(10000).emit("sync", {}, function (err, ack) {
      if (!err && ack && ack.ok) { applyState(ack.state); if (ack.progress) { progress = ack.progress; } render(); }
    });
  }

  function deviceId() {
    var id = get("device");
    if (!id) { id = newKey(); put("device", id); }
    return id;
  }

  function connection(status, err) {
    if (status === "connected") { conn = "connected"; }
    if (status === "reconnecting") { conn = navigator.onLine === false ? "offline" : "reconnecting"; }
    if (status === "refused") {
      // the server refused us (bad or revoked link, or no session), or socket.io did not load
      conn = "refused";
      refusedReason = err ? err.message || "" : T.errors.other;
      if (err && err.data && err.data.code === "invalid_token") { revoked = true; }
    }
    render();
  }

  function connect() {
    // early.js opened the WebSocket already, with this key: the client then takes that socket.
    var early = window.EvalmeetEarly;
    var lb = early ? null : new Uint32Array(2);
    if (lb) { window.crypto.getRandomValues(lb); }
    socket = E.connect({
      // This phone's own random id, kept across visits: the server raises an alarm when the
      // same join link shows up on another device (a reconnect from this one is no alarm).
      auth: {device: deviceId()},
      // nginx spreads phones over the workers on this key (deploy/nginx/evalmeet-maps.conf);
      // it stays the same for the life of the page, so long-polling stays on one worker.
      query: {lb: early ? early.lb : lb[0].toString(36) + lb[1].toString(36)},
      // WebSocket first (no polling-to-WebSocket upgrade to get stuck half-way when the network
      // drops during it); long-polling when a proxy blocks WebSockets.
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      retries: 3,
      ackTimeout: 5000,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 10000
    }, connection, function () { return !revoked; });
    if (!socket) { return; }
    // Every connection starts with a snapshot: the moment to (re)send a ballot not yet acked.
    socket.on("state", function (next) { applyState(next); render(); sendPending(); });
    socket.on("progress", function (p) { progress = p; render(); });
    socket.on("result", function (r) { lastResult = r; render(); });
    socket.on("my_question", function (payload) { questionModerated(payload); render(); });
    socket.on("revoked", function () {
      revoked = true;
      conn = "refused";
      refusedReason = T.revoked;
      socket.disconnect();
      render();
    });
  }

  window.addEventListener("offline", function () {
    conn = "offline";
    render();
    // the old connection is dead anyway: drop it now so reconnection starts (and says so)
    if (socket && socket.io && socket.io.engine) { socket.io.engine.close(); }
  });
  window.addEventListener("online", function () {
    if (socket && !socket.connected && !revoked) {
      conn = "reconnecting";
      render();
      socket.disconnect();
      socket.connect();
    }
  });

  $("confirm-yes").addEventListener("click", confirmVote);
  $("sheet-confirm").addEventListener("click", confirmSheet);
  $("confirm-back").addEventListener("click", function () { chosen = null; render(); });
  $("q-form").addEventListener("submit", askQuestion);
  $("recusal-form").addEventListener("submit", declareRecusal);
  $("recusal-open").addEventListener("click", function () {
    recusalFormOpen = true;
    recusalFeedback("", false);
    render();
    var box = $("recusal-reason");
    if (box && box.focus) { box.focus(); }
  });
  $("recusal-reason").addEventListener("input", function () {
    if ($("recusal-feedback").className.indexOf("error") >= 0) { recusalFeedback("", false); render(); }
  });
  $("recusal-cancel").addEventListener("click", function () { recusalFormOpen = false; render(); });

  render();
  showQuestionStatus();
  connect();
}());
