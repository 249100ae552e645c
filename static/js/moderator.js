// Moderator pages: optional niceties. Every page works without this file.
(function () {
  "use strict";

  // Ask before destructive actions: <button data-confirm="Really?">.
  document.addEventListener("submit", function (event) {
    var button = event.submitter || event.target.querySelector("[data-confirm]");
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // The responsible-person picker: choosing someone on record fills the name, department and
  // position fields and makes them read-only (the server uses the choice); the empty choice
  // frees them to type a person in. A filter box narrows a long list by name or department.
  document.querySelectorAll("[data-person-picker]").forEach(function (picker) {
    var select = picker.querySelector("[data-person-select]");
    var form = picker.closest("form");
    if (!select || !form) {
      return;
    }
    var field = function (name) {
      return form.querySelector("[name=" + name + "]");
    };
    var name = field("person_name");
    var department = field("person_department");
    var position = field("person_position");
    var apply = function (fill) {
      var option = select.options[select.selectedIndex];
      var chosen = option && option.value !== "";
      [name, department, position].forEach(function (input) {
        if (input) {
          input.readOnly = chosen;
        }
      });
      if (!fill) {
        return;
      }
      if (chosen) {
        if (name) { name.value = option.getAttribute("data-name") || ""; }
        if (department) { department.value = option.getAttribute("data-department") || ""; }
        if (position) { position.value = option.getAttribute("data-position") || ""; }
      } else {
        [name, department, position].forEach(function (input) {
          if (input) { input.value = ""; }
        });
        if (name) { name.focus(); }
      }
    };
    select.addEventListener("change", function () { apply(true); });
    apply(false);

    var filter = picker.querySelector("[data-person-filter]");
    if (filter && select.options.length > 8) {
      filter.hidden = false;
      filter.addEventListener("input", function () {
        var wanted = filter.value.trim().toLowerCase();
        Array.prototype.forEach.call(select.options, function (option) {
          option.hidden = option.value !== "" && wanted !== "" &&
            option.textContent.toLowerCase().indexOf(wanted) < 0;
        });
      });
    }
  });

  // The join slips' print button (hidden until this script can make it work).
  document.querySelectorAll("[data-action=print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();

// The meeting page of a live meeting follows check-ins: it re-reads the console's data every few
// seconds and updates the head count and each representative's attendance in place.
(function () {
  "use strict";
  var roster = document.querySelector("[data-live-url]");
  if (!roster || !window.fetch) {
    return;
  }
  var url = roster.getAttribute("data-live-url");
  var present = document.getElementById("attendance-present");
  var absent = document.getElementById("attendance-absent");
  var headcount = document.getElementById("meeting-attendance");
  var stopped = false;

  function badge(template) {
    return template.content.firstElementChild.cloneNode(true);
  }

  function apply(view) {
    var att = view.state && view.state.attendance;
    if (att && headcount) {
      headcount.textContent = att.present + " / " + att.roster;
      headcount.classList.toggle("ok", !!att.quorum_met);
    }
    (view.roster || []).forEach(function (rep) {
      var cell = document.querySelector('[data-attendance="' + rep.id + '"]');
      if (!cell || rep.revoked) {
        return;
      }
      var shown = cell.querySelector(".status-present") ? true : (cell.querySelector(".status-absent") ? false : null);
      if (shown === rep.present || shown === null) {
        return;
      }
      while (cell.firstChild) { cell.removeChild(cell.firstChild); }
      cell.appendChild(badge(rep.present ? present : absent));
    });
    if (view.meeting && view.meeting.status !== "live") {
      stopped = true; // finished elsewhere: the page's buttons are stale now; a reload shows the result
    }
  }

  function poll() {
    if (stopped) {
      return;
    }
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (resp) {
        if (!resp.ok || resp.redirected) { throw new Error("HTTP " + resp.status); }
        return resp.json();
      })
      .then(apply)
      .catch(function () { /* try again next time */ })
      .then(function () { setTimeout(poll, document.hidden ? 15000 : 3000); });
  }
  setTimeout(poll, 3000);
})();

(function () {
  "use strict";
  // The meeting form's rating-sheet editor: the custom scale's rows show only for "custom", and
  // each table may grow a blank row at a time up to its maximum (without this file the page has
  // a fixed number of blank rows, which is enough).
  var scaleSelect = document.querySelector("select[name=scale]");
  var customRows = document.querySelector("[data-custom-scale]");
  if (scaleSelect && customRows) {
    var showCustom = function () {
      customRows.hidden = scaleSelect.value !== "custom";
    };
    scaleSelect.addEventListener("change", showCustom);
    showCustom();
  }
  document.querySelectorAll("[data-sheet-rows]").forEach(function (editor) {
    var body = editor.querySelector("tbody");
    var max = parseInt(editor.getAttribute("data-max"), 10) || 10;
    if (!body || editor.disabled) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button small secondary";
    button.textContent = "＋ " + (editor.getAttribute("data-add-label") || "+");
    var update = function () {
      button.hidden = body.querySelectorAll("[data-row]").length >= max;
    };
    button.addEventListener("click", function () {
      var rows = body.querySelectorAll("[data-row]");
      if (!rows.length || rows.length >= max) {
        return;
      }
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        if (input.placeholder) {
          input.placeholder = input.placeholder.replace(/\d+$/, String(rows.length + 1));
        }
      });
      copy.querySelectorAll("select").forEach(function (select) {
        select.selectedIndex = 0;
      });
      body.appendChild(copy);
      update();
    });
    editor.appendChild(button);
    update();
  });
})();
