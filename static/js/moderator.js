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
