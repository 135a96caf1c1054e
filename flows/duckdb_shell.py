"""`duckdb FILE [SQL]`: query the analysts' copy of the warehouse from the shell.

The official DuckDB command-line client is not on PyPI for DuckDB 2.x (its 1.x build cannot read
2.x files), so the project installs this stand-in as `duckdb` in its virtual env. It opens the file
read-only, runs the statements given (or read from standard input; DuckDB's own parser splits them,
so `select 'a;b'` is one statement) and prints every row as DuckDB's tables, or CSV with `-csv`.
Without SQL on a terminal it is an interactive prompt with the usual dot commands (`.help`).

It refuses the pipeline's own `warehouse.duckdb`: an open connection there, even read-only, keeps the
single writer out (DuckDB's file lock), so analysts query `analytics.duckdb` beside it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb

USAGE = 'usage: duckdb [-csv] FILE ["SQL; ..."]   (read-only; SQL from standard input when not given)'
HELP = """.tables             the tables and views
.schema [NAME]      the columns of one table or view (all of them without NAME)
.maxrows N          show at most N rows per result (0: all, the default)
.mode box|csv       how results are printed
.quit               leave (also Ctrl-D)"""


def pipeline_warehouse(path: Path) -> bool:
    """The pipeline's writer keeps `<file>.lock` beside its warehouse; the analysts' copy has none."""
    return path.with_name(path.name + ".lock").exists()


class Shell:
    def __init__(self, con: duckdb.DuckDBPyConnection, mode: str = "box"):
        self.con, self.mode, self.max_rows, self.pending = con, mode, 0, ""

    def run(self, sql: str) -> None:
        """Run every statement of `sql` in order and print each result."""
        for statement in self.con.extract_statements(sql):
            rel = self.con.sql(statement.query)
            if rel is not None:
                self.print(rel)

    def print(self, rel: duckdb.DuckDBPyRelation) -> None:
        if self.mode == "csv":
            frame = rel.pl()
            sys.stdout.write(frame.head(self.max_rows).write_csv() if self.max_rows else frame.write_csv())
        else:
            rel.show(max_width=sys.maxsize, max_rows=self.max_rows or sys.maxsize)

    def dot(self, line: str) -> bool:
        """A dot command; False to leave."""
        word, _, arg = line.strip().partition(" ")
        arg = arg.strip()
        if word in (".quit", ".exit"):
            return False
        if word == ".tables":
            self.run("select table_name as name, table_type as type from information_schema.tables"
                     " where table_schema = 'main' order by all")
        elif word == ".schema":
            where = f"and table_name = '{arg.replace(chr(39), '')}'" if arg else ""
            self.run("select table_name, column_name, data_type from information_schema.columns"
                     f" where table_schema = 'main' {where} order by table_name, ordinal_position")
        elif word == ".maxrows" and arg.isdigit():
            self.max_rows = int(arg)
        elif word == ".mode" and arg in ("box", "csv"):
            self.mode = arg
        else:
            print(HELP)
        return True

    def script(self, lines: Iterator[str], interactive: bool = False) -> None:
        """Statements ending with `;` and dot commands on their own line, from any source of lines.
        Interactive: an error is printed and the prompt goes on; otherwise it ends the script."""
        self.pending = ""
        for line in lines:
            if not self.pending and line.lstrip().startswith("."):
                if not self.dot(line):
                    return
                continue
            self.pending += line + "\n"
            if self.pending.rstrip().endswith(";"):
                sql, self.pending = self.pending, ""
                try:
                    self.run(sql)
                except duckdb.Error as e:
                    if not interactive:
                        raise
                    print(f"duckdb: {e}", file=sys.stderr)
        if self.pending.strip():
            self.run(self.pending)

    def prompt(self) -> Iterator[str]:
        """Lines typed at a prompt, with line editing and history; Ctrl-C drops the statement."""
        import readline  # noqa: F401  (gives input() line editing and history)

        print('read-only; ".help" for the dot commands, ".quit" to leave')
        while True:
            try:
                yield input("   ...> " if self.pending else "D ")
            except EOFError:
                print()
                return
            except KeyboardInterrupt:
                print()
                self.pending = ""


def main(argv: list[str] | None = None) -> int:
    args = [a for a in (sys.argv[1:] if argv is None else argv) if a not in ("-readonly", "--readonly")]
    mode = "csv" if "-csv" in args else "box"
    args = [a for a in args if a != "-csv"]
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    path = Path(args[0])
    if pipeline_warehouse(path):
        print(f"duckdb: {path} is the pipeline's warehouse: a connection to it keeps the writer out."
              f" Query {path.with_name('analytics.duckdb')} (the analysts' copy, refreshed after every"
              " writing flow) instead.", file=sys.stderr)
        return 2
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        print(f"duckdb: cannot open {path}: {e}", file=sys.stderr)
        return 1
    shell = Shell(con, mode)
    try:
        if len(args) > 1:
            shell.run(" ".join(args[1:]))
        elif sys.stdin.isatty():
            shell.script(shell.prompt(), interactive=True)
        else:
            shell.script(line.rstrip("\n") for line in sys.stdin)
    except duckdb.Error as e:
        print(f"duckdb: {e}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
