"""Promptable methods: each answers the user's clicks, box and scribbles (:mod:`segcore.prompts`) with a mask.

Each registers under the family ``"prompts"`` as ``method(image, prompts, *, setting=default, ...)``
and returns a two-label :class:`~segcore.result.Segmentation` (0 background, 1 the object).
"""

from segcore.methods.prompts import classic  # noqa: F401  (registers flood, seeded_watershed, random_walker, grabcut, pixel_classifier)
