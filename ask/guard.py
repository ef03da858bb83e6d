"""The SQL guard: any SQL (ours or a model's) -> one safe, limited SELECT, or a refusal saying why.

Pure: sqlglot parses the text and the checks walk the tree. What passes is regenerated from the tree
(comments and anything sqlglot did not understand are gone), with a LIMIT of at most `max_rows + 1`
so the runner can tell that a result was cut. The runner adds the second wall: a read-only
connection with a time limit (storage.readonly).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ask.schema import HIDDEN, TABLES
from core.errors import UsageError

MAX_SQL_CHARS = 4000

# Functions by sqlglot class: aggregates, windows, arithmetic, text, dates, conditionals.
_FUNCS = {
    "Abs", "Avg", "Cast", "Ceil", "Coalesce", "Concat", "Count", "CountIf", "CurrentDate",
    "CurrentTimestamp", "Date", "DateAdd", "DateDiff", "DateStrToDate", "DateSub", "DateTrunc", "Day",
    "DenseRank", "Exp", "Extract", "FirstValue", "Floor", "Greatest", "If", "IfNull", "Lag", "LastValue",
    "Lead", "Least", "Length", "Ln", "Log", "Lower", "Max", "Min", "Month", "Nullif", "NthValue",
    "PercentRank", "Pow", "Rank", "Round", "RowNumber", "Sign", "Sqrt", "Stddev", "StddevPop",
    "StddevSamp", "StrToTime", "StrToDate", "Substring", "Sum", "TimeToStr", "TimeStrToTime", "Trim",
    "TryCast", "Upper", "Variance", "VariancePop", "Week", "Year", "Ntile", "CumeDist", "Quarter",
    "DayOfWeek", "DayOfMonth", "DayOfYear", "WeekOfYear", "Left", "Right", "Replace", "Mod", "Div",
    "ArrayAgg", "GroupConcat", "Median", "Percentile", "ApproxQuantile", "Ifnull", "Case", "Timestamp",
    "TsOrDsToDate", "UnixToTime", "TimeStrToUnix", "StrPosition", "Unicode", "Nvl2",
}  # fmt: skip
# Functions sqlglot does not model (exp.Anonymous), by lower-case name.
_NAMED = {"strftime", "julianday", "date", "datetime", "instr", "date_format",
          "unixepoch", "to_days", "last_day", "dayname", "monthname", "truncate", "total", "ifnull",
          "char_length", "substr", "ltrim", "rtrim", "nullif", "iif", "median"}  # fmt: skip
# Column names that are reserved words in MySQL/MariaDB: always quoted in the SQL that runs.
_RESERVED = {"interval", "signal", "values"}
# Never, wherever they appear: statements other than SELECT and SELECT's own side doors.
_FORBIDDEN_NODES = tuple(
    getattr(exp, name)
    for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable", "Command",
        "Pragma", "Into", "Set", "Use", "Transaction", "Commit", "Rollback", "LoadData", "Copy",
        "Lock", "Placeholder", "Parameter", "SessionParameter", "Describe", "Attach", "Detach",
        "TruncateTable", "Grant", "Analyze", "Cache", "Uncache", "Refresh", "Export", "Kill",
    )
    if hasattr(exp, name)
)  # fmt: skip


class SqlRefused(UsageError):
    """The SQL is not allowed. The message is one sentence a user can read."""


@dataclass(frozen=True, slots=True)
class SafeSql:
    """SQL that passed the guard, regenerated for `dialect`, with `LIMIT <= max_rows + 1`."""

    sql: str
    max_rows: int


def guard(sql: str, *, dialect: str = "sqlite", max_rows: int = 200) -> SafeSql:
    """Check `sql` and return it safe to run; SqlRefused (one sentence) otherwise."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise SqlRefused("There is no SQL to run.")
    if len(text) > MAX_SQL_CHARS:
        raise SqlRefused(f"The SQL is longer than {MAX_SQL_CHARS} characters.")
    write = "mysql" if dialect in ("mysql", "mariadb") else "sqlite"
    read = "sqlite"  # the interpreter and the model both write SQLite; MySQL gets a transpiled copy
    try:
        trees = [t for t in sqlglot.parse(text, read=read) if t is not None]
    except SqlglotError:
        raise SqlRefused("The SQL could not be parsed as one SELECT statement.") from None
    if len(trees) != 1:
        raise SqlRefused("Only one statement is allowed, and it must be a SELECT.")
    tree = trees[0]
    if not isinstance(tree, exp.Select | exp.Union | exp.Intersect | exp.Except):
        raise SqlRefused("Only SELECT statements are allowed: nothing may be written or changed.")
    _check_nodes(tree)
    ctes = _check_tables(tree)
    _expand_stars(tree, ctes)
    _check_columns(tree, ctes)
    _enforce_limit(tree, max_rows)
    for ident in tree.find_all(exp.Identifier):
        if ident.name.lower() in _RESERVED:
            ident.set("quoted", True)
    return SafeSql(tree.sql(dialect=write, comments=False), max_rows)


def _check_nodes(tree: exp.Expression) -> None:
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise SqlRefused(f"{_kind(node)} is not allowed: questions may only read with one SELECT.")
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise SqlRefused("Recursive queries are not allowed.")
        if isinstance(node, exp.Anonymous):
            if str(node.this).lower() not in _NAMED:
                raise SqlRefused(f"The function {str(node.this).upper()} is not allowed.")
        elif isinstance(node, exp.Func) and type(node).__name__ not in _FUNCS:
            if not isinstance(node, exp.Binary | exp.Unary | exp.Condition | exp.Case | exp.Window):
                raise SqlRefused(f"The function {node.sql_name()} is not allowed.")
            if type(node).__name__ in ("Anonymous", "AnonymousAggFunc"):
                raise SqlRefused(f"The function {node.sql_name()} is not allowed.")


def _kind(node: exp.Expression) -> str:
    names = {"Into": "SELECT INTO / INTO OUTFILE", "Command": "That statement", "Pragma": "PRAGMA"}
    name = type(node).__name__
    return names.get(name, name.upper())


def _check_tables(tree: exp.Expression) -> set[str]:
    """Every table read is allow-listed (or a CTE of the query). Returns the CTE names."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise SqlRefused("Table functions are not allowed: read the listed tables only.")
        if table.args.get("db") or table.args.get("catalog"):
            raise SqlRefused("Tables of other schemas or databases are not allowed.")
        name = table.name.lower()
        if name not in TABLES and name not in ctes:
            listed = ", ".join(TABLES)
            raise SqlRefused(f"The table {table.name} is not open to questions (allowed: {listed}).")
    return ctes


def _expand_stars(tree: exp.Expression, ctes: set[str]) -> None:
    """`SELECT *` / `t.*` over an allowed table becomes its listed columns (hidden ones stay hidden)."""
    for select in list(tree.find_all(exp.Select)):
        sources = _sources(select)
        out: list[exp.Expression] = []
        for item in select.expressions:
            if isinstance(item, exp.Star):
                out.extend(_columns_of(sources, None, ctes))
            elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
                out.extend(_columns_of(sources, item.table.lower(), ctes))
            else:
                out.append(item)
        select.set("expressions", out)


def _sources(select: exp.Select) -> dict[str, str]:
    """alias (or name) -> table name, for the tables in this SELECT's FROM and JOINs."""
    found: dict[str, str] = {}
    for key in ("from_", "from", "joins"):
        parts = select.args.get(key)
        for part in parts if isinstance(parts, list) else [parts]:
            if part is None:
                continue
            node = part.this if isinstance(part, exp.From | exp.Join) else part
            if isinstance(node, exp.Table):
                found[node.alias_or_name.lower()] = node.name.lower()
            elif isinstance(node, exp.Subquery):
                found[node.alias_or_name.lower()] = ""
    return found


def _columns_of(sources: dict[str, str], qualifier: str | None, ctes: set[str]) -> list[exp.Expression]:
    picked = {k: v for k, v in sources.items() if qualifier is None or k == qualifier}
    if not picked:
        raise SqlRefused("`*` must refer to a table of the query.")
    columns: list[exp.Expression] = []
    for alias, table in picked.items():
        if table not in TABLES or table in ctes:
            if len(picked) == 1 and qualifier is None:
                return [exp.Star()]  # a CTE or subquery: its columns were checked where it was built
            raise SqlRefused("Name the columns instead of `*` when reading a subquery.")
        columns += [exp.column(c, table=alias if len(sources) > 1 else None) for c in TABLES[table]]
    return columns


def _check_columns(tree: exp.Expression, ctes: set[str]) -> None:
    used = {t.name.lower() for t in tree.find_all(exp.Table)} & set(TABLES)
    allowed = {c for t in used for c in TABLES[t]}
    hidden = {c for t in used for c in HIDDEN[t]} - allowed
    aliases = {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}
    aliases |= {c.name.lower() for a in tree.find_all(exp.TableAlias) for c in a.columns}
    if aliases & hidden:
        raise SqlRefused(f"The name {sorted(aliases & hidden)[0]} is reserved for a hidden column.")
    for col in tree.find_all(exp.Column):
        if isinstance(col.this, exp.Star):
            continue
        name = col.name.lower()
        if name in hidden or (name not in allowed and name not in aliases):
            raise SqlRefused(f"The column {col.name} is not open to questions.")


def _enforce_limit(tree: exp.Expression, max_rows: int) -> None:
    limit = tree.args.get("limit")
    current: int | None = None
    if isinstance(limit, exp.Limit):
        value = limit.expression
        if not isinstance(value, exp.Literal) or not value.is_int:
            raise SqlRefused("LIMIT must be a whole number.")
        current = int(value.this)
    elif limit is not None:
        raise SqlRefused("LIMIT must be a whole number.")
    if current is None or current > max_rows:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(max_rows + 1)))
