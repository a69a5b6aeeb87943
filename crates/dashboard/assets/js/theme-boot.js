// Applies the saved theme before the first paint (a classic script in <head>, so the page
// never flashes the wrong colours). The toggle lives in theme.js.
(function () {
  try {
    var t = localStorage.getItem("aegis.theme");
    if (t === "light" || t === "dark") document.documentElement.setAttribute("data-theme", t);
  } catch (e) {
    /* storage disabled: keep the default dark theme */
  }
})();

// Diagnostics: any Content-Security-Policy violation (a blocked inline style or script, a
// request to another origin) is kept in window.aegisCspViolations and logged, so that tests and
// developers can see it. There should never be one.
window.aegisCspViolations = [];
window.addEventListener("securitypolicyviolation", function (e) {
  var v = e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber;
  window.aegisCspViolations.push(v);
  console.error("CSP violation: " + v);
});
