"""The slide frames: one picture per step of the walk, every frame on the same layout."""

import os
import xml.etree.ElementTree as ET

import pytest

from demos.lesson02_chain_rule import build  # f = (x + y) z at (-2, 5, -4)
from viz.frames import BACKWARD, FORWARD, backprop_frames

pytestmark = pytest.mark.dot  # every frame is laid out by Graphviz

SVG = "{http://www.w3.org/2000/svg}"


def chain_rule():
    """f = (x + y) z at x = -2, y = 5, z = -4."""
    return build()


def test_frames_one_per_step_on_one_layout(tmp_path):
    paths = backprop_frames(chain_rule(), tmp_path / "frames")
    assert [os.path.basename(p) for p in paths] == [f"step{i:02d}.svg" for i in range(1, 11)]
    trees = [ET.parse(p).getroot() for p in paths]

    def shape(tree, node_id):
        box = next(el for el in tree.iter() if el.get("id") == node_id)
        return box.find(f"{SVG}path").get("d")

    def cell(tree, cell_id):
        group = next(el for el in tree.iter() if el.get("id") == cell_id)
        return group.find(f"{SVG}text").text

    for node_id in ("v0", "v2", "v4"):  # every box at the same place in every frame
        assert len({shape(tree, node_id) for tree in trees}) == 1
    first, last = trees[0], trees[-1]
    assert cell(first, "v0-data") == "-2" and cell(first, "v4-data") == "?"
    assert cell(first, "v0-grad") == "?"
    assert [cell(last, f"v{i}-grad") for i in range(5)] == ["-4", "-4", "-4", "3", "1"]

    def element(tree, el_id):
        return next(el for el in tree.iter() if el.get("id") == el_id)

    third = trees[2]  # forward: q = x + y is computed, lit in blue; f is still to come
    assert element(third, "v2").find(f"{SVG}path").get("stroke") == FORWARD
    assert element(third, "e2_0").find(f"{SVG}path").get("stroke") == FORWARD
    assert element(third, "v4").get("opacity") == "0.3"
    assert element(last, "e2_0").find(f"{SVG}path").get("stroke") == BACKWARD  # x's gradient
    assert element(last, "e4_1").find(f"{SVG}path").get("stroke") != BACKWARD
    caption = " ".join(t.text for t in last.iter(f"{SVG}text") if t.text)
    assert "Step 10 / 10: Gradient of x" in caption
    assert "df/dx = df/dq · dq/dx = -4 · 1 = -4" in caption
