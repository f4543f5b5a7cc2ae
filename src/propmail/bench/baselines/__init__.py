"""The yardsticks of ``propmail bench``, run on the same data as propmail.

- `floor`: what any loader of the same rows into the same tables must pay
- `guide`: the migration guide's literal design (`guide_fields` its derived fields in pandas,
  `guide_merge` its JSON handoff and merge SQL)

Not product code: nothing in propmail calls them except the benchmark.
"""
