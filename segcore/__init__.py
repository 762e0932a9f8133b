"""segcore: the segmentation engine behind the dashboard (no UI code here).

Load an image with :func:`load_image`, run a technique by name with
:func:`run_method`, and draw or save the :class:`Segmentation` it returns with
:mod:`segcore.render`.
"""

from segcore.io.loading import ImageLoadError, LoadedImage, load_array, load_image
from segcore.registry import get_method, list_methods, run_method
from segcore.result import Label, Segmentation

__all__ = [
    "ImageLoadError",
    "Label",
    "LoadedImage",
    "Segmentation",
    "get_method",
    "list_methods",
    "load_array",
    "load_image",
    "run_method",
]
