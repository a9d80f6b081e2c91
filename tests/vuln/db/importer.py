"""A separate process that imports into an advisory database, for the crash and lock tests.

python importer.py slow DB N     import N records, printing "started" after the first 100 and
                                 sleeping 1 ms per record after that (to be killed mid-way)
python importer.py quick DB N    import N records at once; exit 0, or 75 with the error message
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from stockade.errors import StockadeError
from stockade.model.advisory import FeedRecord
from stockade.model.status import Status
from stockade.vuln.dbbuild import SourceSpec, build
from tests.vuln.db.helpers import adv


def main() -> int:
    mode, db, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def read(path: str, problems: list[Status]) -> Iterator[tuple[str, FeedRecord]]:
        for i in range(count):
            if mode == "slow" and i == 100:
                print("started", flush=True)
            if mode == "slow" and i >= 100:
                time.sleep(0.001)
            yield "osv", adv(f"NEW-{i}", ("PyPI", f"pkg{i % 50}"))

    try:
        build(db, [SourceSpec("new", "new", "new")], read=read)
    except StockadeError as exc:
        print(exc.message, flush=True)
        return 75
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
