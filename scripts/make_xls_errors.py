"""Build tests/fixtures/xls/errors.xls: an Excel 97-2003 upload whose cells hold Excel errors.

xlwt writes .xls and propmail never needs it, so it is not a dependency:

    pip install --target x xlwt==1.3.0
    PYTHONPATH=x:src python scripts/make_xls_errors.py tests/fixtures/xls/errors.xls

Rows (sheet rows 2-4): one with every cell read; one with #DIV/0! in LocationSellAmount; one
with #N/A in OwnerCity and #VALUE! in LocationSellDate.
"""

from __future__ import annotations

import sys

from propmail.contract import REQUIRED

HEADER = [*REQUIRED, "OwnerCity", "LocationSellDate", "LocationSellAmount"]
# the required cells, in REQUIRED's order after the parcel id
BASE = ["1 MAIN ST", "24016", "JOHN SMITH", "1 MAIN ST", "24016"]
DIV0, NA, VALUE = 0x07, 0x2A, 0x0F  # the BIFF codes of #DIV/0!, #N/A, #VALUE!


def main(out: str) -> None:
    import xlwt  # only this script needs it

    book = xlwt.Workbook()
    sheet = book.add_sheet("Upload")
    rows = [
        ["P1", *BASE, "SALEM", "2024-01-05", "120000"],
        ["P2", *BASE, "SALEM", "2024-01-05", None],
        ["P3", *BASE, None, None, "80000"],
    ]
    for c, name in enumerate(HEADER):
        sheet.write(0, c, name)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    sheet.row(2).set_cell_error(HEADER.index("LocationSellAmount"), DIV0)
    sheet.row(3).set_cell_error(HEADER.index("OwnerCity"), NA)
    sheet.row(3).set_cell_error(HEADER.index("LocationSellDate"), VALUE)
    book.save(out)


if __name__ == "__main__":
    main(sys.argv[1])
