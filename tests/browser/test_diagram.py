"""On a phone the workflow diagram opens at the step the file is on, not at its start.

The diagram is wider than a 375 px screen and scrolls sideways in its box; a file
half-way through had its current step some 700 px out of view. ``diagram.js``
(loaded under the CSP, no inline script) scrolls the box to it on load.
"""

from __future__ import annotations

from tests.browser.conftest import PHONE
from tests.views.screens import drive

# The box's and the first current step's edges, in the viewport's pixels.
EDGES = """() => {
  const box = document.querySelector('.diagram-scroll');
  const node = box.querySelector('.node-current');
  const b = box.getBoundingClientRect(), n = node.getBoundingClientRect();
  return {box: [b.left, b.right], node: [n.left, n.right], scrolled: box.scrollLeft,
          nodeInSvg: node.querySelector('rect').x.baseVal.value};
}"""


def test_the_current_step_is_in_view_on_a_phone(people, team, make_process):
    process = drive(make_process("umea"), team, "outside")
    staff = people(viewport=PHONE)
    staff.log_in("staff@example.org")
    page = staff.visit(f"/processes/{process.id}")
    page.wait_for_load_state("load")
    edges = page.evaluate(EDGES)
    box_left, box_right = edges["box"]
    assert edges["nodeInSvg"] > box_right - box_left  # out of view unless the box scrolls
    assert edges["scrolled"] > 0
    node_left, node_right = edges["node"]
    assert box_left <= node_left and node_right <= box_right, edges
