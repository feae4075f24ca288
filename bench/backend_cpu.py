"""CPU the PostgreSQL backends serving one process have used: the database server's share of
a benchmark's work (same machine). Imported by bare name by the scripts next to it, which run
by path: their own folder comes first on sys.path, before the tree under test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event


class BackendCpu:
    """Remembers each PostgreSQL backend `engine` connects to; nothing on SQLite."""

    def __init__(self, engine: Engine) -> None:
        self.pids: list[int] = []
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._remember)

    def _remember(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        self.pids.append(int(cursor.fetchone()[0]))
        cursor.close()
        dbapi_connection.commit()

    def seconds(self) -> float:
        """User plus system CPU the backends have used so far."""
        total = 0.0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total
