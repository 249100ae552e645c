/* evalmeet — the meeting's countdown on every live screen (console, projector, phone), and the
 * console's controls for it. Loaded after live.js, before the screen's own script, which hands
 * it every snapshot: `Evalmeet.countdown.update(state)`.
 *
 * The snapshot carries `timer` ({label, seconds, ends_at}, or null) and the server's `now`: the
 * screen counts down to `ends_at` on the server's clock (its own clock plus the difference seen
 * in the last snapshot), so a phone whose clock is wrong still shows the right time. At zero
 * the timer stays, flashing, until the moderator stops it; the projector can also beep once
 * (off by default; the toggle is remembered on that screen).
 * Markup: the `countdown` macro of templates/_countdown.html ([data-countdown] boxes).
 * Old-browser-friendly syntax, no inline code (CSP).
 */
(function () {
  "use strict";

  var E = window.Evalmeet;
  if (!E) { return; }

  var current = null;   // {label, seconds, ends_at, endsMs}
  var skew = 0;         // the server's clock minus ours, in ms
  var lastNow = null;   // the `now` of the last snapshot (screens hand the same one in again)
  var ticking = null;
  var zeroFor = null;   // the ends_at whose zero has been announced
  var zeroHandlers = [];

  /* An ISO 8601 instant as ms since the epoch (microseconds cut to what Date.parse reads). */
  function instant(text) {
    return Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
  }

  function two(n) { return n < 10 ? "0" + n : String(n); }
  function clockText(seconds) { return two(Math.floor(seconds / 60)) + ":" + two(seconds % 60); }

  function remaining() {
    return Math.max(0, Math.ceil((current.endsMs - (Date.now() + skew)) / 1000));
  }

  function boxes() { return document.querySelectorAll("[data-countdown]"); }

  function paint() {
    var left = current ? remaining() : null;
    Array.prototype.forEach.call(boxes(), function (box) {
      box.hidden = !current;
      box.classList.toggle("countdown-zero", left === 0);
      box.classList.toggle("countdown-low", left !== null && left > 0 && left <= 10);
      if (!current) { box.removeAttribute("data-remaining"); return; }
      box.setAttribute("data-remaining", String(left));
      E.text(box, "[data-countdown-clock]", clockText(left));
      E.text(box, "[data-countdown-label]", current.label || box.getAttribute("data-default-label") || "");
      E.show(box, "[data-countdown-zero]", left === 0);
      var bar = box.querySelector("[data-countdown-bar] .fill");
      if (bar) { bar.setAttribute("width", E.barWidth(left, current.seconds)); }
    });
    if (current && left === 0 && zeroFor !== current.ends_at) {
      zeroFor = current.ends_at;
      zeroHandlers.forEach(function (fn) { fn(current); });
    }
    var running = !!current && left > 0;
    if (running && !ticking) { ticking = setInterval(paint, 250); }
    if (!running && ticking) { clearInterval(ticking); ticking = null; }
  }

  /* Take the timer and the server's clock from a snapshot (the clock only from a snapshot not
     seen before: a screen re-renders from an old one too, and its `now` is old by then). */
  function update(state) {
    if (!state) { return; }
    if (state.now && state.now !== lastNow) {
      lastNow = state.now;
      var server = instant(state.now);
      if (!isNaN(server)) { skew = server - Date.now(); }
    }
    var t = state.timer || null;
    var fresh = !!t && (!current || current.ends_at !== t.ends_at);
    current = t ? {label: t.label, seconds: t.seconds, ends_at: t.ends_at, endsMs: instant(t.ends_at)} : null;
    // A timer already at zero when this screen first hears of it alerts by sight, not by sound.
    if (fresh && remaining() === 0) { zeroFor = current.ends_at; }
    paint();
  }

  // --- the projector's beep -------------------------------------------------------------------

  var SOUND_KEY = "evalmeet.countdown_sound";
  var audio = null;

  function soundOn() {
    try { return localStorage.getItem(SOUND_KEY) === "1"; } catch (e) { return false; }
  }

  function beep() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    if (!audio) { audio = new Ctx(); }
    [0, 0.3, 0.6].forEach(function (at) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.25;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + 0.18);
    });
  }

  function soundToggle(button) {
    function show() {
      var on = soundOn();
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? button.getAttribute("data-on") : button.getAttribute("data-off");
    }
    button.addEventListener("click", function () {
      var on = !soundOn();
      try { localStorage.setItem(SOUND_KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
      // A click lets the page play sound: make the audio context now, silently.
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (on && Ctx && !audio) { audio = new Ctx(); }
      show();
    });
    show();
    zeroHandlers.push(function () {
      button.setAttribute("data-beeped", String(Number(button.getAttribute("data-beeped") || 0) + 1));
      if (soundOn()) {
        try { beep(); } catch (e) { /* no sound on this machine: the screen still flashes */ }
      }
    });
  }

  // --- the console's controls -----------------------------------------------------------------

  function controls(panel) {
    var meetingId = panel.getAttribute("data-meeting");
    var csrfMeta = document.querySelector('meta[name="csrf-token"]');
    var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
    var minutes = panel.querySelector("[data-timer-minutes]");
    var label = panel.querySelector("[data-timer-label]");
    var problem = panel.querySelector("[data-timer-error]");

    function say(message) {
      problem.textContent = message || "";
      problem.hidden = !message;
    }

    function call(method, body) {
      var init = {method: method, credentials: "same-origin",
        headers: {"Accept": "application/json", "X-CSRFToken": csrf}};
      if (body) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
      return fetch("/api/v1/meetings/" + meetingId + "/timer", init).then(function (resp) {
        if (resp.ok) { say(""); return null; }
        return resp.json().catch(function () { return {}; }).then(function (json) {
          say((json.error && json.error.message) || ("HTTP " + resp.status));
        });
      }, function () { say(panel.getAttribute("data-network-error")); });
    }

    panel.addEventListener("click", function (ev) {
      var button = ev.target.closest("button[data-timer]");
      if (!button || button.disabled) { return; }
      var what = button.getAttribute("data-timer");
      var seconds = 0;
      if (what === "stop") { call("DELETE"); return; }
      if (what === "custom") {
        var value = Number(String(minutes.value).replace(",", "."));
        seconds = Math.round(value * 60);
        if (!(seconds >= 1 && seconds <= 3600)) { say(panel.getAttribute("data-range-error")); return; }
      } else {
        seconds = Number(what);
      }
      call("POST", {seconds: seconds, label: label.value});
    });
  }

  function init() {
    var toggle = document.querySelector("[data-countdown-sound]");
    if (toggle) { soundToggle(toggle); }
    var panel = document.querySelector("[data-timer-controls]");
    if (panel) { controls(panel); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }

  E.countdown = {update: update, onZero: function (fn) { zeroHandlers.push(fn); }};
}());
