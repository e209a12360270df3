// The page viewer: the word under the cursor is lit on the scan and in the text, both ways.
// Progressive enhancement only; without script the scan's boxes still light on hover (CSS).
(function () {
  "use strict";
  var lit = [];
  function light(index) {
    lit.forEach(function (el) { el.classList.remove("hot"); });
    lit = [document.getElementById("w-" + index), document.getElementById("t-" + index)]
      .filter(function (el) { return el !== null; });
    lit.forEach(function (el) { el.classList.add("hot"); });
  }
  document.addEventListener("mouseover", function (event) {
    var target = event.target;
    if (target && target.getAttribute && target.getAttribute("data-w") !== null) {
      light(target.getAttribute("data-w"));
    }
  });
})();
