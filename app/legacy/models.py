"""Import runs and the rows they rejected: the import report shown in the admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.db import Base


class ImportRun(Base):
    """One import of a legacy snapshot, with per-file counts."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(255))  # file or folder name, never a full path
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default="running")  # running, done, failed
    # {"naleznosci.csv": {"rows": 10, "inserted": 1, "updated": 2, "unchanged": 6,
    #   "cancelled": 0, "rejected": 1}, ...}
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rejected_count: Mapped[int] = mapped_column(default=0)
    warning_count: Mapped[int] = mapped_column(default=0)
    change_count: Mapped[int] = mapped_column(default=0)
    rows_written: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str | None] = mapped_column(String(120))

    issues: Mapped[list[ImportIssue]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ImportIssue.id"
    )

    def __str__(self) -> str:
        return f"#{self.id} {self.source}"


class ImportIssue(Base):
    """A rejected row (severity `error`) or a dropped field of a kept row (`warning`)."""

    __tablename__ = "import_issues"
    __table_args__ = (Index("ix_import_issues_run", "import_run_id", "file", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"))
    severity: Mapped[str] = mapped_column(String(8), default="error")
    file: Mapped[str] = mapped_column(String(40))
    line: Mapped[int]
    field: Mapped[str | None] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(255))

    run: Mapped[ImportRun] = relationship(back_populates="issues")

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where} {self.field or ''} {self.reason}".strip()
