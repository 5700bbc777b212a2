"""Reading the YAML tables clinic staff edit (the glossary, the safety rules)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError


def load_table(name: str, what: str, path: Path | None = None) -> dict[str, Any]:
    """``path``, or the packaged ``data/NAME``, as a mapping; errors name the file and say why."""
    where = str(path or f"data/{name}")
    try:
        text = path.read_text("utf-8") if path else (resources.files("askclinic") / "data" / name).read_text("utf-8")
        data = yaml.safe_load(text) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read the {what} {where}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"the {what} {where} must be a YAML mapping at the top level")
    return data
