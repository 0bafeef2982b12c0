"""Helpers the test modules share that are not fixtures: the project's
``scripts/`` loaded as modules (they are files, not a package) and the
photographs test media is made of."""

import importlib.util
import os
import types

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_script(name: str) -> types.ModuleType:
    """``scripts/<name>.py`` as a module of its own."""
    path = os.path.join(REPO, "scripts", name + ".py")
    spec = importlib.util.spec_from_file_location("fols_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def skimage_photo(name: str) -> np.ndarray:
    """One of skimage's bundled photographs (as RGB array)."""
    from PIL import Image

    root = importlib.util.find_spec("skimage").submodule_search_locations[0]
    path = os.path.join(root, "data", name + ".png")
    return np.asarray(Image.open(path).convert("RGB"))
