// The console's only script (plain JavaScript, served by the app; pages work without it).
// A filter form marked data-autosubmit submits itself when a choice changes.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
});
