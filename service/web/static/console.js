// The console's only script (plain JavaScript, served by the app; pages work without it).
// A filter form marked data-autosubmit submits itself when a choice changes.
// A button with data-copy="ID" copies the value of the field ID (a calendar feed's address).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) { return; }
      var done = function () {
        var before = button.textContent;
        button.textContent = button.getAttribute("data-copied") || before;
        setTimeout(function () { button.textContent = before; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {  // plain http on another host: select it, and the old copy command
        field.select();
        if (document.execCommand("copy")) { done(); }
      }
    });
  });
});
