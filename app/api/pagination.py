"""Pages of a list: `page` and `per_page` in; `items`, `total` and `pages` out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from app.core.extensions import db


def paginate(query: Select, args: dict[str, Any], *, scalars: bool = True) -> dict[str, Any]:
    """One page of a query (ordered by the caller) with the count of all its rows."""
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    window = query.limit(per_page).offset((page - 1) * per_page)
    items = list(db.session.scalars(window) if scalars else db.session.execute(window))
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": (total + per_page - 1) // per_page}

