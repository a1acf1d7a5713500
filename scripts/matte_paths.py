"""Where Matte's scripts find things, shared so they agree with `matte` itself (ModelLocator)."""
import os
from pathlib import Path


def models_dir() -> Path:
    """$MATTE_MODELS_DIR, else $XDG_DATA_HOME/matte/models (default ~/.local/share/matte/models)."""
    env = os.environ.get("MATTE_MODELS_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(xdg) / "matte" / "models"
