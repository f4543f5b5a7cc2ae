"""What one upload is processed from: the upload, its niche lists, the settings, the mapping and
the sheet, as one `Inputs` value.

The command line and the API make it once (`Inputs.gather`: the settings read and validated,
the mapping resolved, every file checked readable and safe before any is read) and hand it to
`job.run_job`, `parity.run_parity`, `explain.explain_parcel` and the batch.

>>> parse_niche_spec("Liens=lists/liens.xlsx")
('Liens', PosixPath('lists/liens.xlsx'))
>>> Inputs("upload.csv", ("Probate=p.csv",)).niche_paths()
[('Probate', PosixPath('p.csv'))]
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from propmail import __version__
from propmail.errors import InputError
from propmail.read import ColumnMapping, ReadResult, resolve_mapping
from propmail.read.files import check as check_file
from propmail.read.files import check_sheet
from propmail.read.reader import check_upload_header
from propmail.rules.niche import NicheList
from propmail.settings import Rules, load_rules


def parse_niche_spec(spec: str) -> tuple[str, Path]:
    """``Liens=path.xlsx`` -> ("Liens", path); ``path/Probate_2026-11.csv`` -> ("Probate", path)."""
    kind, sep, rest = spec.partition("=")
    if sep and kind.strip() and not re.search(r"[\\/]", kind):
        return kind.strip(), Path(rest)
    path = Path(spec)
    words = re.split(r"[^A-Za-z]+", path.stem)
    name = next((w for w in words if w), "")
    if not name:
        raise InputError(
            "cannot tell the niche type from the file name; write it as TYPE=PATH",
            file=spec,
            option="--niche",
        )
    return name, path


def digest_files(digest: hashlib._Hash, files: Iterable[tuple[str, Path | None]]) -> None:
    """Feed each named file's bytes to `digest`, a megabyte at a time (never the whole file
    in memory); a name without a file counts as empty."""
    for name, path in files:
        digest.update(f"{name}\n".encode())
        if path is not None:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
        digest.update(b"\n")


def check_inputs(upload_path: str | Path, niche_specs: Sequence[str]) -> None:
    """Every input file is there, readable and safe, before any of them is read."""
    check_file(Path(upload_path))
    for spec in niche_specs:
        check_file(parse_niche_spec(spec)[1])


@dataclass(frozen=True)
class Inputs:
    """One upload and what it is read and processed with."""

    upload: str | Path
    niches: tuple[str, ...] = ()  # the niche lists, each ``[TYPE=]PATH``, applied in order
    rules: Rules = field(default_factory=load_rules)
    mapping: ColumnMapping | None = None  # None: the shipped layout the headers fit
    sheet: str | None = None  # a workbook's sheet, by name or number
    rules_path: str | Path | None = None  # the rules file `rules` was read from, if any
    strict: bool = False  # refuse an upload that has a cell that does not parse

    @classmethod
    def gather(
        cls,
        upload: str | Path,
        niches: Sequence[str] = (),
        rules: Rules | str | Path | None = None,
        mapping: ColumnMapping | str | Path | None = None,
        sheet: str | None = None,
        strict: bool = False,
    ) -> Inputs:
        """The inputs of one upload, checked before anything is read: the settings first (a
        rules file's every bad key at once), then the mapping (a file or a shipped layout's
        name), then each input file, readable and safe."""
        settings = rules if isinstance(rules, Rules) else load_rules(rules)
        layout = mapping if isinstance(mapping, ColumnMapping) else None
        if mapping and layout is None:
            layout = resolve_mapping(str(mapping))
        check_inputs(upload, niches)
        check_sheet(Path(upload), sheet)
        return cls(
            upload=upload,
            niches=tuple(niches),
            rules=settings,
            mapping=layout,
            sheet=sheet,
            rules_path=None if isinstance(rules, Rules) else rules,
            strict=strict,
        )

    def niche_paths(self) -> list[tuple[str, Path]]:
        """Each niche list's type and file."""
        return [parse_niche_spec(spec) for spec in self.niches]

    def content_hash(self, region_id: int) -> str:
        """sha256 of everything a load of this upload is made of: the region, the upload's
        and each niche list's bytes (streamed), the sheet, --strict, the settings in force and the
        mapping as propmail understood them, and propmail's version (whose rules may differ).
        An upload whose header cannot supply the required columns is refused first, its bytes
        unread."""
        check_upload_header(self.upload, self.mapping, self.sheet)
        options = f"region={region_id}\nsheet={self.sheet}\nstrict={self.strict}\n"
        digest = hashlib.sha256(options.encode())
        digest_files(digest, [("upload", Path(self.upload))])
        digest_files(digest, [(f"niche {kind}", path) for kind, path in self.niche_paths()])
        for part in (__version__, repr(self.rules), repr(self.mapping)):
            digest.update(f"{part}\n".encode())
        return digest.hexdigest()

    def niche_lists(self, read: Sequence[ReadResult]) -> list[NicheList]:
        """The niche lists as the pipeline takes them, from each one `read`."""
        return [
            NicheList(type=kind, frame=niche.frame, source=str(path))
            for niche, (kind, path) in zip(read, self.niche_paths(), strict=True)
        ]
