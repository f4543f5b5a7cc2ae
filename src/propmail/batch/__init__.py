"""Many uploads a month: a manifest of jobs, loaded by a pool of workers, recorded in a ledger.

``manifest.py`` reads the manifest (jobs listed, or one glob line for hundreds of regions),
``ledger.py`` the table that makes a batch idempotent and resumable, ``run.py`` the worker pool
that calls the same job function as ``propmail process``, ``split.py`` the streaming splitter
that turns a national file into one upload per region and writes the manifest.
"""
