// The workflow diagram scrolls sideways on a narrow screen: open it at the (first) current
// step rather than at the start, where a later step sat hundreds of pixels out of view.
(function () {
  "use strict";
  document.querySelectorAll(".diagram-scroll").forEach(function (box) {
    var node = box.querySelector(".node-current") || box.querySelector(".node-blocked");
    if (!node || box.scrollWidth <= box.clientWidth) { return; }
    var shown = box.getBoundingClientRect();
    var step = node.getBoundingClientRect();
    if (step.left >= shown.left && step.right <= shown.right) { return; }
    // Centre the step in the box (the browser clamps at either end).
    box.scrollLeft += step.left - shown.left - (box.clientWidth - step.width) / 2;
  });
}());
