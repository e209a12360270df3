"""BagIt (RFC 8493) through the ``bagit`` library, which every receiving archive's tools can
check; zipped for transfer as TT 05/2025 expects, streamed file by file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import bagit


def make_validated_bag(directory: Path, info: dict[str, str]) -> str:
    """Turn ``directory`` into a bag with SHA-256 manifests, validate it, return Payload-Oxum."""
    bag = bagit.make_bag(str(directory), bag_info=info, checksums=["sha256"], processes=1)
    bag.validate(processes=1)
    return str(bag.info["Payload-Oxum"])


def zip_tree(directory: Path, target: Path, root_name: str) -> None:
    """Zip ``directory`` under ``root_name/`` without holding any file in memory."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, f"{root_name}/{path.relative_to(directory).as_posix()}")
