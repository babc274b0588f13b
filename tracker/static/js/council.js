// Live quorum and majority check on the council decision form, as the figures are typed.
// The server checks the same rules again; this only saves a round trip.
(function () {
  "use strict";
  var out = document.getElementById("vote-check");
  if (!out) { return; }
  var form = out.closest("form");
  function num(name) {
    var el = form.querySelector("[name='" + name + "']");
    var v = el ? parseInt(el.value, 10) : NaN;
    return isNaN(v) ? null : v;
  }
  function say(key, values) {
    var text = out.getAttribute("data-text-" + key) || "";
    Object.keys(values).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    out.textContent = text;
    out.className = "vote-check " + (key === "passes" ? "ok" : key === "fails" ? "warn" : "bad");
  }
  function check() {
    var members = num("members"), present = num("present");
    var yes = num("votes_for"), no = num("against"), blank = num("abstain");
    if ([members, present, yes, no, blank].some(function (v) { return v === null; })) {
      out.textContent = ""; out.className = "vote-check"; return;
    }
    var cast = yes + no + blank;
    if (present > members) { return say("present", { present: present, members: members }); }
    if (cast > present) { return say("cast", { cast: cast, present: present }); }
    var quorum = out.dataset.quorum === "at_least_third" ? present * 3 >= members : present * 2 > members;
    if (!quorum) { return say("noquorum", { present: present, members: members }); }
    var rule = out.dataset.majority, passes;
    if (rule === "absolute_members") { passes = yes * 2 > members; }
    else if (rule === "simple") { passes = yes > no; }
    else { passes = yes * 2 > present; }
    say(passes ? "passes" : "fails", { "for": yes });
  }
  form.addEventListener("input", check);
  check();
}());
