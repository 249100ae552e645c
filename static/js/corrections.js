// The correction form (更正): choosing a text fills the textarea with what it says now, so the
// administrator edits the typo rather than retyping the whole text.
(function () {
  "use strict";
  document.querySelectorAll("select[data-fills]").forEach(function (select) {
    var target = document.getElementById(select.getAttribute("data-fills"));
    if (!target) return;
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      target.value = option ? option.getAttribute("data-current") || "" : "";
      target.focus();
    });
  });
})();
