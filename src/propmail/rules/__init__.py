"""One module per derived field of SPEC section 3; each is a pure function over a polars frame.

Every rule has the signature ``derive(frame: pl.DataFrame, <its settings>) -> pl.DataFrame`` and
returns the frame with its own columns added. A rule module defines the settings it takes (a
frozen dataclass, or a plain value) and the names a rules file may use for it; each parameter
after the frame is named as the field of `propmail.settings.Rules` that holds it, and
``propmail.pipeline.RULES`` runs the rules in order, handing each only the fields it names. No
rule imports the settings module: a type a rule takes lives beside the rule.
"""
