"""The segmentation methods, one module per family: each registers its functions with :mod:`segcore.registry`.

``threshold``, ``edges``, ``clustering``, ``regions`` (scikit-image, SciPy, scikit-learn and OpenCV
calls on numpy arrays) and the ``maskrcnn`` package (torchvision; torch is imported only when a
model is built). Every method takes an (H, W, 3) uint8 RGB image and keyword parameters declared
once in its spec, and returns a :class:`segcore.result.Segmentation`.
"""
