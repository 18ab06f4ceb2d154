/* The campaign page refreshes its status, buttons, results and history while the campaign is
   scheduled, sending or paused, without reloading the page. */
(function () {
  "use strict";

  var INTERVAL_MS = 3000;
  var page = document.getElementById("campaign-page");
  if (!page || page.getAttribute("data-live") !== "yes") { return; }
  var url = page.getAttribute("data-live-url");

  function busy() {
    /* Leave the page alone while someone types a note or has a confirmation open. */
    return !!page.querySelector("details[open]") || (document.activeElement &&
      page.contains(document.activeElement) && /^(TEXTAREA|INPUT|SELECT)$/.test(document.activeElement.tagName));
  }

  function apply(answer) {
    Object.keys(answer.parts).forEach(function (name) {
      var target = page.querySelector("[data-refresh=" + name + "]");
      if (target) { target.innerHTML = answer.parts[name]; }
    });
    page.setAttribute("data-status", answer.status);
  }

  function poll() {
    if (busy()) { setTimeout(poll, INTERVAL_MS); return; }
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 403 || response.status === 404) { return {live: false, gone: true}; }
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (answer && !answer.gone) { apply(answer); }
        if (!answer || answer.live) { setTimeout(poll, INTERVAL_MS); }
      })
      .catch(function () { setTimeout(poll, INTERVAL_MS * 2); });
  }

  setTimeout(poll, INTERVAL_MS);
})();
