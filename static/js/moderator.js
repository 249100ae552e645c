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

  // The join slips' print button (hidden until this script can make it work).
  document.querySelectorAll("[data-action=print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
