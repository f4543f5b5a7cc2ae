"""`propmail drop`: this week's pieces (SPEC section 8, docs/drop.md).

`cadence` (when a location is due), `select` (eligible, suppressed, ranked, one per owner, the
budget: pure polars over the region's rows), `suppress` (the suppression file read into keys),
`names` (an envelope name on the lines a mail house prints), `export` (the mail house's file),
`proof` (drop.json and the proof page's content), `plan` (one drop end to end: read, select,
record, proof). The tables and their statements are `propmail.db.drops`.
"""
