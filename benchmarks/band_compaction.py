"""What one compaction of the band index costs (warehouse/band_runs.py): a sorted run of
``--rows`` (key, appearance) rows — 65 per appearance, 65 M at 10^6 appearances — and
``--delta`` recent rows in ``appearance_bands`` are merged into the next run generation,
in one transaction, as a commit past ``COMPACT_ROWS`` does.

    python benchmarks/band_compaction.py                      # 65 M + 1.1 M rows
    python benchmarks/band_compaction.py --rows 6500000       # 10^5 appearances

Printed: wall and CPU seconds of the compaction alone (building the inputs is not timed)
and the amortised CPU per appearance (``--delta`` / 65 appearances).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from newswire.warehouse import band_runs
from newswire.warehouse.migrations import create_state

KEYS_PER_APPEARANCE = 65


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=65_000_000)
    parser.add_argument("--delta", type=int, default=1_100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory(prefix="band-compaction-") as tmp:
        (Path(tmp) / "state").mkdir()
        con = duckdb.connect(str(Path(tmp) / "state" / "writer.duckdb"), config={"memory_limit": "512MB"})
        create_state(con)
        run = band_runs.BandRun(Path(tmp) / "state" / band_runs.DIRECTORY, 1, args.rows)
        run.directory.mkdir()
        with band_runs._Writer(run) as out:
            out.append(
                np.sort(rng.integers(-(2**63), 2**63 - 1, args.rows, dtype=np.int64)),
                rng.integers(0, 2**62, args.rows, dtype=np.int64),
                0,
            )
        band_runs._point_at(con, run)
        recent = pa.table(
            {
                "key": rng.integers(-(2**63), 2**63 - 1, args.delta, dtype=np.int64),
                "appearance_key": rng.integers(0, 2**62, args.delta, dtype=np.int64),
            }
        )
        con.register("recent", recent)
        con.execute("INSERT INTO appearance_bands SELECT * FROM recent")
        con.execute("CHECKPOINT")
        started, cpu = time.perf_counter(), time.process_time()
        con.execute("BEGIN TRANSACTION")
        new = band_runs.compact(con)
        con.execute("COMMIT")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        con.close()
    appearances = args.delta / KEYS_PER_APPEARANCE
    print(
        f"run {args.rows:,} rows + delta {args.delta:,}: {wall:.1f} s wall, {cpu:.1f} s CPU, "
        f"{new.rows:,} rows after; {1000 * cpu / appearances:.3f} ms CPU per new appearance"
    )


if __name__ == "__main__":
    main()
