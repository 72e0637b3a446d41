/* Live preview for `r2r serve`: reload when a rebuild finishes, show a build error over the page.
 * Served only by the preview server; the published site never contains it. */
(function () {
  "use strict";
  var seen = null;
  var banner = null;

  var style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = "/__r2r__/live.css";
  document.head.appendChild(style);

  function show(error) {
    if (!error) {
      if (banner) {
        banner.remove();
        banner = null;
      }
      return;
    }
    if (!banner) {
      banner = document.createElement("div");
      banner.className = "r2r-build-error";
      banner.setAttribute("role", "alert");
      document.body.appendChild(banner);
    }
    banner.textContent = error;
  }

  function check() {
    fetch("/__r2r__/status", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        show(status.error);
        if (seen === null) {
          seen = status.generation;
        } else if (status.generation !== seen) {
          window.location.reload();
        }
      })
      .catch(function () { /* the server is restarting: try again */ })
      .then(function () { window.setTimeout(check, 500); });
  }

  check();
}());
