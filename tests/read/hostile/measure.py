"""Peak memory of `propmail process` on each hostile file: python -m tests.read.hostile.measure"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.read.test_hostile_files import HOSTILE, process


def main() -> None:
    print(f"{'file':48} {'size':>10} {'exit':>4} {'peak MB':>8}")
    for attack, (build, _) in HOSTILE.items():
        with tempfile.TemporaryDirectory() as tmp:
            upload = build(Path(tmp) / "upload.xlsx")
            run = process(upload, Path(tmp) / "propmail.db")
            size = upload.stat().st_size
            print(f"{attack:48} {size:>10,} {run.exit_code:>4} {run.peak_mb:>8.0f}")


if __name__ == "__main__":
    main()
