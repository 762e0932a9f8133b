"""Keep Streamlit's garbage collection after every run cheap: freeze what the imports made.

After each script run Streamlit calls ``gc.collect(2)`` (``runner.postScriptGC``),
which walks every container object in the process. Most of them belong to the
imported libraries and live as long as the server: about 177,000 objects with
this app's libraries, 474,000 once torch is in, which on the 2-core machine
cost 210 ms and 400 ms a run. That is a delay in every re-render, on every
page, because torch stays imported for all sessions once anyone opens the
Mask R-CNN page.

:func:`freeze_new_imports` collects once and then ``gc.freeze()``-s the objects
that exist at that moment, whenever a run has imported new modules. Frozen
objects are still freed by reference counting as usual; only the cycle
collector skips them. Garbage made by later runs stays unfrozen, and
Streamlit's collection still reclaims it, now at a cost of milliseconds.
"""

from __future__ import annotations

import gc
import sys

_modules_at_last_freeze = 0


def freeze_new_imports() -> bool:
    """Collect and freeze if modules were imported since the last freeze; return whether it froze.

    Returns False, doing nothing, on the runs that import nothing new (all but
    the first few in a server's life).
    """
    global _modules_at_last_freeze
    count = len(sys.modules)
    if count <= _modules_at_last_freeze:
        return False
    gc.collect()  # what is garbage now is freed, not frozen
    gc.freeze()
    _modules_at_last_freeze = count
    return True
