"""One partition materialized in a process of its own, on the Dagster instance of DAGSTER_HOME:
python -m tests.batch.fleet_runner MANIFEST URL REGION; prints the materialization's metadata."""

from __future__ import annotations

import json
import sys

import dagster as dg

from propmail.batch.fleet import ASSET, definitions
from tests.db.helpers import MONTH1

MONTH = "2026-11-01"


def materialize(
    manifest: str,
    url: str,
    region: int,
    instance: dg.DagsterInstance,
    month: str = MONTH,
) -> dict:  # type: ignore[type-arg]
    """The materialization's metadata; a failed one's is its Failure's, with its description."""
    asset = definitions(manifest, url, start_month="2026-10", now=MONTH1).resolve_assets_def(ASSET)
    key = dg.MultiPartitionKey({"region": str(region), "month": month})
    result = dg.materialize([asset], partition_key=key, instance=instance, raise_on_error=False)
    if not result.success:
        [failure] = [e for e in result.all_events if e.is_step_failure]
        error = failure.step_failure_data.user_failure_data
        return {"failed": error.description, **{k: v.value for k, v in error.metadata.items()}}
    [event] = result.asset_materializations_for_node(ASSET)
    return {k: v.value for k, v in event.metadata.items()}


if __name__ == "__main__":
    with dg.DagsterInstance.get() as instance:
        print(json.dumps(materialize(sys.argv[1], sys.argv[2], int(sys.argv[3]), instance)))
