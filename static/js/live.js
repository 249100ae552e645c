/* evalmeet — what the live screens share (console, projector, phone): the one global
 * `window.Evalmeet`, loaded after socket.io and before the screen's own script.
 *
 * Markup is written once, in the screens' Jinja templates. The server renders the first paint;
 * to re-render a piece, a script clones the <template> the server rendered for it (`clone`,
 * `rows`) and fills in text, classes and `hidden`. No script builds markup, and no text is
 * written here: every string comes from the page's translated JSON block (`data`).
 * Old-browser-friendly syntax (no arrow functions, no optional chaining), no inline code (CSP).
 */
(function () {
  "use strict";

  var own = Object.prototype.hasOwnProperty;
  // The preset scales' choices in ballot order (a custom scale: its counts' order).
  var SCALES = {
    three_level: ["satisfied", "basically_satisfied", "dissatisfied"],
    pass_fail: ["pass", "fail"],
    four_grade: ["excellent", "competent", "basically_competent", "incompetent"]
  };

  /* The data of a <script type="application/json" id=...> block, or null. */
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  /* fill("Voted {n} / {m}", {n: 2, m: 3}): the placeholders of the server's fill(); a name
     without a value stays as it is. */
  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, key) {
      var v = own.call(values, key) ? values[key] : null;
      return v === null || v === undefined ? m : String(v);
    });
  }

  /* Set the text of the first `selector` below `root` (skipped when there is none). */
  function text(root, selector, value) {
    var el = root.querySelector(selector);
    if (el) { el.textContent = value === null || value === undefined ? "" : String(value); }
    return el;
  }

  /* Show or hide the first `selector` below `root`. */
  function show(root, selector, visible) {
    var el = root.querySelector(selector);
    if (el) { el.hidden = !visible; }
    return el;
  }

  /* Keep the first `selector` below `root` when `wanted`, else take it out (a skeleton holds
     every part; this drops those that do not apply). Returns the part when kept. */
  function keep(root, selector, wanted) {
    var el = root.querySelector(selector);
    if (el && !wanted) { el.parentNode.removeChild(el); return null; }
    return el;
  }

  /* Swap the class of `el` that starts with `prefix` for prefix + value ("st-" + "voting");
     through the attribute, so that SVG elements work too. */
  function variant(el, prefix, value) {
    var classes = (el.getAttribute("class") || "").split(/\s+/).filter(function (c) {
      return c && c.indexOf(prefix) !== 0;
    });
    if (value !== null && value !== undefined && value !== "") { classes.push(prefix + value); }
    el.setAttribute("class", classes.join(" "));
    return el;
  }

  /* A fresh copy of what a <template> holds (its first element). */
  function clone(template) {
    return template.content.firstElementChild.cloneNode(true);
  }

  /* Re-render the rows of `list` from the <template>s at its top (see the `rows` macro of
     templates/projector/_stage.html): one clone per item, handed to fill(row, item, index)
     before it goes in; the <template data-empty> row when there are no items. */
  function rows(list, items, fillRow) {
    var row = null, empty = null, i;
    for (i = 0; i < list.children.length; i++) {
      var child = list.children[i];
      if (child.tagName !== "TEMPLATE") { continue; }
      if (child.hasAttribute("data-empty")) { empty = child; } else if (!row) { row = child; }
    }
    for (i = list.childNodes.length - 1; i >= 0; i--) {
      var node = list.childNodes[i];
      if (node !== row && node !== empty) { list.removeChild(node); }
    }
    items = items || [];
    items.forEach(function (item, n) {
      var el = clone(row);
      fillRow(el, item, n);
      list.appendChild(el);
    });
    if (!items.length && empty) { list.appendChild(clone(empty)); }
    return list;
  }

  // --- numbers, as the server's money_text / percent_text write them ---------------------------

  /* "1280000.00" -> "1,280,000.00" (amounts travel as strings; no float touches them). */
  function money(value) {
    if (value === null || value === undefined || value === "") { return ""; }
    var parts = String(value).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.length > 1 ? whole + "." + parts[1] : whole;
  }

  /* round(scale * |a/b|) with integers only, as a decimal string: BigInt where the browser has
     it (weighted fractions grow past 2^53), plain numbers (exact while they stay small) else. */
  function scaledRound(num, den, scale) {
    if (typeof BigInt === "function") {
      var n = BigInt(num), d = BigInt(den), two = BigInt(2);
      return ((two * BigInt(scale) * n + d) / (two * d)).toString();
    }
    return String(Math.floor((2 * scale * Number(num) + Number(den)) / (2 * Number(den))));
  }

  /* "123" (tenths) -> "12.3". */
  function tenthsText(tenths) {
    var digits = tenths.length < 2 ? "0" + tenths : tenths;
    return digits.slice(0, -1) + "." + digits.slice(-1);
  }

  /* "7/9" -> "77.8%", rounded half up with integers only (display, never a decision). */
  function percent(fraction) {
    var m = /^(\d+)\/(\d+)$/.exec(fraction || "");
    if (!m || /^0+$/.test(m[2])) { return "\u2014"; }
    return tenthsText(scaledRound(m[1], m[2], 1000)) + "%";
  }

  /* An exact score "175/2" -> "87.5" (one decimal, half away from zero; integers only). */
  function decimal(fraction) {
    var m = /^(-?)(\d+)\/(\d+)$/.exec(fraction || "");
    if (!m || /^0+$/.test(m[3])) { return "\u2014"; }
    var text = tenthsText(scaledRound(m[2], m[3], 10));
    return (m[1] && text !== "0.0" ? "-" : "") + text;
  }

  /* The width of a bar's fill in its 1000-wide SVG box. */
  function barWidth(value, total) {
    return String(total ? Math.floor(1000 * value / total) : 0);
  }

  /* strings[key] when the page has that string, else the key itself (a custom scale's choice). */
  function label(strings, key) {
    return strings && own.call(strings, key) ? strings[key] : key;
  }

  /* A choice's name: a preset's from the page's strings, a custom scale's as the moderator wrote
     it (the meeting of the snapshot carries its choices). */
  function choiceName(meeting, key, strings) {
    if ((!meeting || meeting.scale !== "custom") && strings && own.call(strings, key)) { return strings[key]; }
    var choices = (meeting && meeting.choices) || [];
    for (var i = 0; i < choices.length; i++) { if (choices[i].key === key) { return choices[i].label || key; } }
    return key;
  }

  /* `figures` ({key: {...}}) in the order of the meeting's `entries`, each with key and label. */
  function labelled(entries, figures) {
    var out = [], seen = {};
    (entries || []).forEach(function (e) {
      if (figures && own.call(figures, e.key)) { seen[e.key] = true; out.push([e.key, e.label]); }
    });
    Object.keys(figures || {}).forEach(function (k) { if (!seen[k]) { out.push([k, k]); } });
    return out.map(function (pair) {
      var row = {key: pair[0], label: pair[1]};
      var f = figures[pair[0]];
      Object.keys(f).forEach(function (name) { row[name] = f[name]; });
      return row;
    });
  }

  /* "优秀 2 · 称职 1 · …": one criterion's counts, in the scale's order. */
  function countsText(counts, meeting, strings) {
    var keys = ((meeting && meeting.choices) || []).map(function (c) { return c.key; })
      .filter(function (k) { return own.call(counts || {}, k); });
    if (!keys.length) { keys = Object.keys(counts || {}); }
    return keys.map(function (k) { return choiceName(meeting, k, strings) + " " + (counts[k] || 0); }).join(" \u00b7 ");
  }

  /* Fill the rating-sheet figures of a result below `root` (the sheet_figures macro of
     templates/projector/_stage.html): the average score, each criterion, each rater group. */
  function sheetFigures(root, r, meeting, L) {
    var average = keep(root, ".sf-average", r.average_score);
    if (average) { average.textContent = fill(L.average_score, {score: decimal(r.average_score)}); }
    var criteria = keep(root, ".sf-criteria", r.criteria);
    if (criteria) {
      rows(criteria.querySelector("tbody"), labelled(meeting && meeting.criteria, r.criteria), function (tr, row) {
        tr.setAttribute("data-criterion", row.key);
        text(tr, ".sf-name", row.label);
        text(tr, ".sf-counts", countsText(row.counts, meeting, L));
        text(tr, ".sf-rate", percent(row.satisfaction));
      });
    }
    var groups = keep(root, ".sf-groups", r.groups);
    if (groups) {
      rows(groups.querySelector("tbody"), labelled(meeting && meeting.groups, r.groups), function (tr, row) {
        tr.setAttribute("data-group", row.key);
        text(tr, ".sf-name", row.label);
        text(tr, ".sf-weight", percent(row.weight));
        text(tr, ".sf-ballots", row.ballots);
        text(tr, ".sf-rate", percent(row.satisfaction));
      });
    }
    return !!(average || criteria || groups);
  }

  /* The choices of a result, in ballot order. */
  function choicesOf(result) {
    return SCALES[result.scale] || Object.keys(result.counts || {});
  }

  /* A risk flag in the page's language (the server sends both). */
  function flagText(flag, lang) {
    return lang === "en" ? (flag.message_en || flag.message) : (flag.message || flag.message_en);
  }

  // --- pieces the console and the projector both show --------------------------------------------

  /* Fill an attendance line ([data-att] parts); the quorum badge gets "ok" or `notMet`. */
  function attendance(box, att, L, notMet) {
    text(box, "[data-att=present]", att.present);
    text(box, "[data-att=roster]", att.roster);
    text(box, "[data-att=needed]", att.needed);
    var badge = text(box, "[data-att=quorum]", att.quorum_met ? L.quorum_met : L.quorum_not_met);
    if (badge) {
      badge.classList.toggle("ok", !!att.quorum_met);
      badge.classList.toggle(notMet, !att.quorum_met);
    }
  }

  /* Fill an item's facts ([data-fact] parts: person, amount, method, suppliers). */
  function facts(root, item, L) {
    var person = item.responsible_person || {};
    text(root, "[data-fact=person]", [person.name, person.department].filter(Boolean).join(" \u00b7 "));
    text(root, "[data-fact=amount]", item.amount ? fill(L.yuan, {amount: money(item.amount)}) : L.none);
    text(root, "[data-fact=method]", item.procurement_method && own.call(L, item.procurement_method)
      ? L[item.procurement_method] : L.none);
    text(root, "[data-fact=suppliers]", item.supplier_count !== null && item.supplier_count !== undefined
      ? item.supplier_count : L.none);
  }

  /* "Voted n / m" and its bar: the [data-count] text and the fill of [data-count-bar] below
     `root`. False when `root` shows no vote count. */
  function votedCount(root, ballots, voters, L) {
    var count = text(root, "[data-count]", fill(L.voted_of, {n: ballots, m: voters}));
    var bar = root.querySelector("[data-count-bar] .fill");
    if (bar) { bar.setAttribute("width", barWidth(ballots, voters)); }
    return !!count;
  }

  /* "Satisfaction rate 2/3 = 66.7%" (the pass rate on a pass/fail scale). */
  function rateText(result, L) {
    return (result.scale === "pass_fail" ? L.pass_rate : L.satisfaction) + " " + result.satisfaction +
      " = " + percent(result.satisfaction);
  }

  /* "By phone 4 · on paper 3" (and the invalid paper sheets) of a result that had paper
     ballots; "" for one that came only by phone. */
  function channelsText(result, L) {
    var ch = result && result.channels;
    if (!ch || !ch.paper || !(ch.paper.ballots || ch.paper.invalid || (ch.paper.scrutineers || []).length)) {
      return "";
    }
    var line = fill(L.channels_of, {phone: ch.phone.ballots, paper: ch.paper.ballots});
    if (ch.paper.invalid) { line += " \u00b7 " + fill(L.paper_invalid, {n: ch.paper.invalid}); }
    return line;
  }

  /* The sentence of an alert (a join link used from a second device, a link re-issued). */
  function alertText(alert, L) {
    return fill(L["alert_" + alert.kind] || alert.kind, {
      name: (alert.representative && alert.representative.name) || "?", time: alert.time || ""
    });
  }

  // --- the live channel ------------------------------------------------------------------------

  /* Open /live with socket.io's `options` and keep it open. report(state, error) hears
     "connected", "reconnecting" and "refused" (then socket.io will not retry; error is null when
     the socket.io client did not load). Returns the socket, or null without a client.
     comeBack() says whether to reconnect when the server lets go of us (default: always). */
  function connect(options, report, comeBack) {
    if (typeof window.io !== "function") { report("refused", null); return null; }
    var socket = window.io("/live", options);
    socket.on("connect", function () { report("connected"); });
    socket.on("disconnect", function (reason) {
      report("reconnecting");
      // The server let go of us on purpose (e.g. a restart in progress): come back anyway.
      if (reason === "io server disconnect") {
        setTimeout(function () { if (!comeBack || comeBack()) { socket.connect(); } }, 2000);
      }
    });
    socket.on("connect_error", function (err) {
      // socket.active is false when the server refused us; then socket.io will not retry.
      if (socket.active) { report("reconnecting"); } else { report("refused", err || {}); }
    });
    return socket;
  }

  /* A live screen's root element (the console's, the projector's) and what it says of itself:
     `lang` (data-lang) and `tiny(attendance)`, whether so few are present that a result may give
     away individual choices (data-tiny: the server's TINY_ELECTORATE). Null without the element. */
  function screen(id) {
    var root = document.getElementById(id);
    if (!root) { return null; }
    var limit = Number(root.getAttribute("data-tiny"));
    return {
      root: root,
      lang: root.getAttribute("data-lang") || "zh",
      tiny: function (attendance) { return attendance.present <= limit; }
    };
  }

  window.Evalmeet = {
    data: data,
    screen: screen,
    fill: fill,
    text: text,
    show: show,
    keep: keep,
    variant: variant,
    clone: clone,
    rows: rows,
    money: money,
    percent: percent,
    decimal: decimal,
    choiceName: choiceName,
    labelled: labelled,
    sheetFigures: sheetFigures,
    barWidth: barWidth,
    label: label,
    choicesOf: choicesOf,
    flagText: flagText,
    attendance: attendance,
    facts: facts,
    votedCount: votedCount,
    rateText: rateText,
    alertText: alertText,
    channelsText: channelsText,
    connect: connect
  };
}());
