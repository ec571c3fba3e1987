// Live tables: an element with data-refresh-url is fetched again every data-refresh-seconds and its
// contents replaced (same origin, the session's cookie). Without JavaScript the page simply stays as loaded.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-refresh-url]").forEach(function (box) {
    var seconds = Math.max(2, parseInt(box.dataset.refreshSeconds || "10", 10));
    setInterval(function () {
      fetch(box.dataset.refreshUrl, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) { box.innerHTML = html; } })
        .catch(function () { /* offline for a moment: the next round tries again */ });
    }, seconds * 1000);
  });
});
