"""``propmail bench``: a month of N rows end to end, against the floor and the guide's design.

- `data`: the deterministic upload, niche lists and changed month (from `propmail.synth`)
- `measure`: stage timing and per-stage peak memory
- `scenarios`: one measured run each (propmail, floor, guide), run in a fresh process
- `baselines`: what propmail is measured against: `floor`, the bare read and the bare bulk
  load + upsert of the same rows; `guide`, the migration guide's literal design (pandas, row
  loops, JSON handoff)
- `runner`, `report`: the whole run and its Markdown / JSON report

Speed is measured here, never by timed assertions in tests. See docs/benchmarks.md.
"""

# the server the benchmark creates its own databases on (propmail_bench_*), dropped afterwards
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
