"""One module per derived field of SPEC section 3; each is a pure function over a polars frame.

Every rule has the signature ``derive(frame: pl.DataFrame, rules: Rules) -> pl.DataFrame``
and returns the frame with its own columns added. ``propmail.pipeline.RULES`` runs them in order.
"""
