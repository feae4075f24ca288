// The sandbox page's little JavaScript: menus that act when changed, Block Kit confirm
// dialogs, @handle buttons, and a reload when Rounds sends something new. No libraries.
"use strict";

(function () {
  // A menu, picker or checkbox outside an input block acts at once, as in Slack.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.hasAttribute || !field.hasAttribute("data-autosubmit")) return;
    var form = field.form;
    form.querySelector("input[name=_changed]").value = field.getAttribute("data-action");
    form.requestSubmit();
  });

    document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var handle = event.target.closest && event.target.closest("button[data-insert]");
    if (handle) {
      var composer = document.getElementById("composer");
      if (composer) {
        composer.value += handle.getAttribute("data-insert");
        composer.focus();
      }
    }
  });

  var who = document.getElementById("whoami");
  if (who) {
    who.addEventListener("change", function () {
      who.form.submit();
    });
  }

  var timeline = document.getElementById("timeline");
  if (timeline) timeline.scrollTop = timeline.scrollHeight;

  // Something new (a nudge from the timer, a listener's late post): reload, unless the person
  // is in the middle of typing or filling a form, in which case say so instead.
  function busy() {
    if (document.getElementById("modal")) return true;
    var fields = document.querySelectorAll("input[type=text], textarea");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value) return true;
    }
    var open = document.activeElement;
    return Boolean(open) && (open.tagName === "SELECT" || open.tagName === "TEXTAREA" ||
      (open.tagName === "INPUT" && open.type !== "submit" && open.type !== "button"));
  }
  var seen = document.body.getAttribute("data-activity");
  function poll() {
    fetch("/api/activity", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (String(data.activity) === seen) return;
        if (!busy()) {
          window.location.reload();
          return;
        }
        if (!document.getElementById("fresh")) {
          var note = document.createElement("a");
          note.id = "fresh";
          note.className = "fresh";
          note.href = window.location.pathname;
          note.textContent = "Something new arrived — show it";
          document.body.appendChild(note);
        }
      })
      .catch(function () { /* the sandbox stopped; keep the page as it is */ });
  }
  window.setInterval(poll, 1500);
})();
