"""Parse T-SQL batches statement by statement with sqlglot, strictly.

sqlglot's T-SQL grammar parses MERGE ... WITH (HOLDLOCK), OPENJSON ... WITH, sp_getapplock and
the rest of what propmail writes, but not the control flow of a procedure body (TRY/CATCH,
THROW) nor ALTER PROCEDURE. So a procedure is checked in two layers: this module walks the
control flow itself (a CREATE OR ALTER PROCEDURE header, BEGIN/END, BEGIN TRY/CATCH, IF blocks,
THROW), insisting that blocks balance and every statement ends with a semicolon, and every
other statement must parse with sqlglot into one tree, never a fallback ``Command`` and never a
bare identifier (how sqlglot reads a word it does not know).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.tsql import TSQL
from sqlglot.errors import ErrorLevel
from sqlglot.tokens import Token, TokenType

_TRANSACTION_WORDS = {"TRAN", "TRANSACTION", "DISTRIBUTED"}
_THROW = re.compile(
    r"^THROW(\s+\d+\s*,\s*(N?'(?:[^']|'')*'|@\w+)\s*,\s*\d+)?$", re.IGNORECASE | re.DOTALL
)


# What a statement may parse as; anything else (a bare word, a tuple, a function call) means
# sqlglot did not understand it.
STATEMENTS = (
    exp.Select,
    exp.Union,
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Set,
    exp.Declare,
    exp.Execute,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.IfBlock,
)


class _Tokenizer(TSQL.Tokenizer):
    # sqlglot reads the rest of a statement that starts with END as one string (END is a
    # "command" word); a procedure body's END / END TRY / END CATCH are block ends.
    COMMANDS = TSQL.Tokenizer.COMMANDS - {TokenType.END}


class GrammarError(AssertionError):
    pass


@dataclass
class Statement:
    text: str
    tree: exp.Expression | None  # None for control statements (THROW)
    blocks: tuple[str, ...]  # enclosing blocks, outermost first: TRY, CATCH, IF
    kind: str = "sql"  # sql | throw | if


@dataclass
class Batch:
    text: str
    procedure: exp.Create | None = None
    statements: list[Statement] = field(default_factory=list)

    def trees(self) -> list[exp.Expression]:
        return [s.tree for s in self.statements if s.tree is not None]


def parse_statement(text: str) -> exp.Expression:
    """One statement, parsed strictly: exactly one tree, no Command fallback, no bare word."""
    try:
        trees = [t for t in sqlglot.parse(text, read="tsql", error_level=ErrorLevel.RAISE) if t]
    except sqlglot.ParseError as exc:
        raise GrammarError(f"does not parse as T-SQL: {text!r}\n{exc}") from None
    if len(trees) != 1:
        raise GrammarError(f"expected one statement, got {len(trees)}: {text!r}")
    tree = trees[0]
    if not isinstance(tree, STATEMENTS):
        raise GrammarError(f"read as {type(tree).__name__}, not a statement: {text!r}")
    for node in tree.walk():
        if isinstance(node, exp.Command):
            raise GrammarError(f"sqlglot fell back to an unparsed Command: {text!r}")
        # sqlglot reads an IF body it does not know as an alias of the condition
        # ("IF @x = 0 COMMIT TRANSACTION" -> condition AS COMMIT, body TRANSACTION)
        if isinstance(node, exp.IfBlock) and not isinstance(node.this, exp.Condition):
            raise GrammarError(f"IF condition misread: {text!r}")
        if isinstance(node, exp.IfBlock) and isinstance(node.this, exp.Alias):
            raise GrammarError(f"IF body misread as an alias: {text!r}")
        if isinstance(node, exp.Block) and not all(
            isinstance(e, STATEMENTS) for e in node.expressions
        ):
            raise GrammarError(f"block body misread: {text!r}")
    return tree


def _upper(token: Token) -> str:
    return token.text.upper()


def _is_block_begin(tokens: list[Token], i: int) -> bool:
    nxt = _upper(tokens[i + 1]) if i + 1 < len(tokens) else ""
    return _upper(tokens[i]) == "BEGIN" and nxt not in _TRANSACTION_WORDS | {"TRY", "CATCH"}


def _find_semicolon(tokens: list[Token], start: int, text: str) -> int:
    for j in range(start, len(tokens)):
        if tokens[j].token_type == TokenType.SEMICOLON:
            return j
    raise GrammarError(f"statement not terminated by ';': {text[tokens[start].start :][:200]!r}")


def parse_batch(text: str) -> Batch:
    tokens = _Tokenizer(dialect="tsql").tokenize(text)
    batch = Batch(text)
    i = 0
    if [_upper(t) for t in tokens[:4]] in (
        ["CREATE", "OR", "ALTER", "PROCEDURE"],
        ["CREATE", "OR", "ALTER", "PROC"],
    ):
        depth = 0
        j = 4
        while j < len(tokens):
            if tokens[j].token_type == TokenType.L_PAREN:
                depth += 1
            elif tokens[j].token_type == TokenType.R_PAREN:
                depth -= 1
            elif depth == 0 and _upper(tokens[j]) == "AS":
                break
            j += 1
        header = text[tokens[0].start : tokens[j].end + 1]
        tree = parse_statement(header + " SELECT 1")
        if not isinstance(tree, exp.Create) or tree.args.get("kind") != "PROCEDURE":
            raise GrammarError(f"not a procedure header: {header!r}")
        batch.procedure = tree
        i = j + 1
    stack: list[str] = []
    closed = ""  # the block that just ended: END TRY must be followed by BEGIN CATCH
    while i < len(tokens):
        token = tokens[i]
        if closed == "TRY" and not (
            _upper(token) == "BEGIN" or token.token_type == TokenType.SEMICOLON
        ):
            raise GrammarError("END TRY not followed by BEGIN CATCH")
        word = _upper(token)
        nxt = _upper(tokens[i + 1]) if i + 1 < len(tokens) else ""
        if token.token_type == TokenType.SEMICOLON:
            i += 1
        elif word == "BEGIN" and nxt in ("TRY", "CATCH"):
            if (nxt == "CATCH") != (closed == "TRY"):
                raise GrammarError("BEGIN CATCH must follow END TRY, and END TRY needs a CATCH")
            stack.append(nxt)
            closed = ""
            i += 2
        elif word == "END" and nxt in ("TRY", "CATCH"):
            if not stack or stack[-1] != nxt:
                raise GrammarError(f"END {nxt} without BEGIN {nxt}")
            stack.pop()
            closed = nxt
            i += 2
        elif _is_block_begin(tokens, i):
            stack.append("BLOCK")
            i += 1
        elif word == "END":
            if not stack or stack[-1] not in ("BLOCK", "IF"):
                raise GrammarError(f"END without BEGIN near {text[token.start :][:80]!r}")
            stack.pop()
            i += 1
        elif word == "IF":
            end = _find_semicolon(tokens, i, text)
            begin = next((j for j in range(i + 1, end) if _is_block_begin(tokens, j)), None)
            if begin is None:  # IF <condition> <statement>;
                statement = text[token.start : tokens[end].start].strip()
                batch.statements.append(
                    Statement(statement, parse_statement(statement), tuple(stack), "if")
                )
                i = end + 1
            else:  # IF <condition> BEGIN ... END
                condition = text[tokens[i + 1].start : tokens[begin].start].strip()
                tree = parse_statement(f"IF {condition} SELECT 1")
                batch.statements.append(Statement(f"IF {condition}", tree, tuple(stack), "if"))
                stack.append("IF")
                i = begin + 1
        else:
            end = _find_semicolon(tokens, i, text)
            statement = text[token.start : tokens[end].start].strip()
            if word == "THROW":
                if not _THROW.match(statement):
                    raise GrammarError(f"malformed THROW: {statement!r}")
                batch.statements.append(Statement(statement, None, tuple(stack), "throw"))
            else:
                batch.statements.append(
                    Statement(statement, parse_statement(statement), tuple(stack))
                )
            i = end + 1
    if stack:
        raise GrammarError(f"unclosed blocks at end of batch: {stack}")
    return batch


def procedure_name(batch: Batch) -> str | None:
    if batch.procedure is None:
        return None
    return batch.procedure.this.this.name


def procedure_parameters(batch: Batch) -> list[str]:
    assert batch.procedure is not None
    return [p.this.this.name for p in batch.procedure.this.expressions]
