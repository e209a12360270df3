"""BagIt (RFC 8493) through the ``bagit`` library, which every receiving archive's tools can
check; zipped for transfer as TT 05/2025 expects, streamed file by file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import bagit

BAGIT_DECLARATION = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def make_validated_bag(directory: Path, info: dict[str, str]) -> str:
    """Turn ``directory`` into a BagIt 1.0 bag with SHA-256 manifests, validate it, and
    return its Payload-Oxum.

    The library declares version 0.97; RFC 8493 (1.0) is what receivers are asked to check,
    so the declaration is rewritten and the tag manifest recomputed before validating.
    """
    bagit.make_bag(str(directory), bag_info=info, checksums=["sha256"], processes=1)
    (directory / "bagit.txt").write_text(BAGIT_DECLARATION, encoding="utf-8")
    bag = bagit.Bag(str(directory))
    bag.save(processes=1)  # recomputes tagmanifest-sha256.txt over the new bagit.txt
    bag = bagit.Bag(str(directory))
    if bag.version_info != (1, 0):
        raise RuntimeError(f"bag declares version {bag.version_info}")
    bag.validate(processes=1)
    return str(bag.info["Payload-Oxum"])


COMPRESSED = frozenset({".png", ".jpg", ".jpeg", ".jp2", ".pdf", ".zip"})
"""Already compressed: stored as they are, since deflating them again costs time for nothing."""


def zip_tree(directory: Path, target: Path, root_name: str) -> None:
    """Zip ``directory`` under ``root_name/`` file by file, never holding one in memory."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                method = (
                    zipfile.ZIP_STORED
                    if path.suffix.lower() in COMPRESSED
                    else zipfile.ZIP_DEFLATED
                )
                name = f"{root_name}/{path.relative_to(directory).as_posix()}"
                archive.write(path, name, compress_type=method)
