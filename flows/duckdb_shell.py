"""`duckdb FILE [SQL]`: query a warehouse file from the shell.

The official DuckDB command-line client is not on PyPI for DuckDB 2.x (its 1.x build cannot read
2.x files), so the project installs this small stand-in as `duckdb` in its virtual env. It opens
the file read-only — analysts never write the warehouse — runs each statement given (or read from
standard input) and prints the results as DuckDB's own tables.
"""

from __future__ import annotations

import sys

import duckdb


def main(argv: list[str] | None = None) -> int:
    args = [a for a in (sys.argv[1:] if argv is None else argv) if a not in ("-readonly", "--readonly")]
    if not args or args[0] in ("-h", "--help"):
        print('usage: duckdb FILE ["SQL; ..."]   (read-only; SQL from standard input when not given)')
        return 0 if args else 2
    path, sql = args[0], " ".join(args[1:]) or sys.stdin.read()
    try:
        con = duckdb.connect(path, read_only=True)
    except duckdb.Error as e:
        print(f"duckdb: cannot open {path}: {e}", file=sys.stderr)
        return 1
    try:
        for statement in (s.strip() for s in sql.split(";")):
            if statement:
                rel = con.sql(statement)
                if rel is not None:
                    rel.show(max_width=200)
    except duckdb.Error as e:
        print(f"duckdb: {e}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
