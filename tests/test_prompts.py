"""The user's prompts (segcore.prompts): link round trip, refusal of hostile link text, seeds, undo, scaling."""

from __future__ import annotations

import numpy as np
import pytest

from segcore.prompts import LIMITS, Click, Prompts, Stroke

P = Prompts((Click(3, 4), Click(10, 12, False)), (1, 2, 30, 20), (Stroke(((1, 1), (20, 1)), True, 3),))


def test_a_link_carries_the_prompts_exactly():
    texts = P.to_text()
    assert texts == {"clicks": "3,4+.10,12-", "box": "1,2,30,20", "strokes": "+3:1,1;20,1"}
    assert Prompts.from_text(texts, (40, 40)) == P
    assert Prompts.from_text({}, (40, 40)) == Prompts() and not Prompts()


@pytest.mark.parametrize("texts, says", [
    ({"clicks": "1,2"}, "not a list of x,y. or x,y- points"),
    ({"clicks": "100,2+"}, "outside the 40 x 40 image"),
    ({"clicks": "-1,2+"}, "not a list"),
    ({"box": "5,5,1,1"}, "wrong way round"),
    ({"box": "1,2,3"}, "not x0,y0,x1,y1"),
    ({"strokes": "+0:1,1"}, "width of 1 to 64"),
    ({"strokes": "*3:1,1"}, "is not .width:x,y"),
    ({"clicks": ".".join(["1,1+"] * (LIMITS["clicks"] + 1))}, f"at most {LIMITS['clicks']}"),
    ({"strokes": "+3:" + ";".join(["1,1"] * 20000)}, "characters long"),
])
def test_hostile_link_text_is_refused_with_what_is_wrong(texts, says):
    with pytest.raises(ValueError, match=says):
        Prompts.from_text(texts, (40, 40))


def test_seeds_mark_clicks_as_discs_and_scribbles_as_lines():
    fg, bg = P.seeds((40, 40), click_radius=2)
    assert fg[4, 3] and fg[1, 10] and not fg[30, 30]
    assert bg[12, 10] and bg.sum() == 13  # a disc of radius 2
    both = Prompts((Click(5, 5), Click(5, 5, False)))
    fg, bg = both.seeds((10, 10))
    assert not fg.any() and not bg.any()  # a pixel marked both ways counts as neither


def test_undo_takes_back_clicks_then_scribbles_then_the_box():
    assert P.undo().clicks == P.clicks[:1]
    assert P.undo().undo().undo() == Prompts(box=P.box)
    assert not P.undo().undo().undo().undo()


def test_scaling_and_shifting_keep_points_inside_the_image():
    half = P.scaled(0.5, (20, 20))
    assert half.clicks[1] == Click(5, 6, False) and half.box == (0, 1, 15, 10) and half.strokes[0].width == 2
    assert P.shifted(-1, -2).bounds() == (0, -1, 29, 18)
    assert P.scaled(10, (40, 40)).bounds() == (10, 10, 39, 39)
