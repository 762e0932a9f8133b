"""The promptable methods as the pages offer them: which need weights, what is missing, which answer given prompts.

Shared by Point and click (pages/prompts.py) and the compare page, which
runs the same methods on the same prompts and says the same things about them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pages._result_view import result_in
from segcore.cost import bounded
from segcore.io.loading import LoadedImage
from segcore.prompts import Prompts
from segcore.registry import get_method, list_methods

#: The promptable methods (family "prompts"), in the registry's order.
PROMPT_METHODS = tuple(m.name for m in list_methods("prompts"))


def needs_weights(name: str) -> bool:
    """Whether ``name`` runs a downloaded model (SAM 2.1) rather than library calls on the image alone."""
    return name == "sam2"


def weights_missing(name: str, params: dict) -> str | None:
    """What is missing for ``name`` to run here with ``params`` and how to fetch it; None when it can run.

    SAM 2.1's checkpoint is looked for on this machine only (a named folder,
    the Hugging Face cache): no page starts a download of hundreds of
    megabytes on a visitor's click.
    """
    if not needs_weights(name):
        return None
    from segcore.methods.prompts import sam2_weights  # noqa: PLC0415 - the one method with weights

    checkpoint = params.get("checkpoint", sam2_weights.DEFAULT_CHECKPOINT)
    if sam2_weights.weights_found(checkpoint):
        return None
    row = sam2_weights.weights_status(checkpoint)[0]
    damaged = f" ({row['error']})" if row.get("error") else ""
    return (f"SAM 2.1 {row['size']} ({row['size_mb']} MB) is not on this machine{damaged}: missing "
            f"{', '.join(row['missing'])}. To use it, run `{row['command']}` where the internet is reachable (and "
            f"copy the Hugging Face cache here), or point {sam2_weights.ENV_WEIGHTS} at a checkpoint folder; "
            "`python -m segcore weights status` says where it looked. The other methods answer meanwhile.")


def answers(cache, name: str, image: LoadedImage, prompts: Prompts) -> bool:
    """Whether ``name`` answers ``prompts`` on ``image`` at its default settings, within the app's time budget.

    It is asked by running it (through ``cache``, :func:`pages._result_view.result_in`, so the answer stays for
    its panel): a method that cannot answer these prompts says so with a ValueError.
    """
    run, _ = bounded(name, image.rgb.shape[:2], get_method(name).settings)
    try:
        result_in(cache, name, image, run, prompts)
    except ValueError:
        return False
    return True


def first_choice(cache, image: LoadedImage, prompts: Prompts, names=PROMPT_METHODS) -> list[str]:
    """The prompt methods to tick first: the classic ones that answer ``prompts`` (every one before any prompt),
    then SAM 2.1 where its weights are on this machine."""
    local = [n for n in names if not needs_weights(n)]
    if prompts:  # asked two at a time (result_in makes no Streamlit call): 0.38 s instead of 0.68 s on 2 cores
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="first-choice") as pool:
            said = list(pool.map(lambda n: answers(cache, n, image, prompts), local))
        answering = [n for n, yes in zip(local, said) if yes]
    else:
        answering = local
    return answering + [n for n in names if needs_weights(n) and not weights_missing(n, get_method(n).settings)]
