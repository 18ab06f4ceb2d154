"""What is paid on each obligation, kept on the obligation by the database

An obligation's paid amount is the sum of its allocations from active payments. The portal's
obligations list must know it for every obligation of a business to count and page the unpaid
ones (250 correlated sums per request for a business with 250 obligations); reminders, audiences
and the dashboard ask the same. The column `obligations.paid_amount` now holds it, and triggers
keep it whenever allocations are inserted, changed or deleted and whenever a payment's status
changes, whatever writes them (a booking, staff allocation, the legacy merge's bulk SQL).

PostgreSQL: one trigger per statement with its transition tables. New allocations add their sum
(an UPDATE of `paid_amount + sum`, which PostgreSQL evaluates again on the newest row when another
transaction changed it first); changed or deleted allocations and a payment's new status sum the
obligation's allocations again, after locking it (in id order), so a concurrent change has
committed and is counted. The legacy import's merge switches them off for its own transaction and
keeps the paid amounts of its bulk itself (`app.legacy.merge_paid`). SQLite: triggers per row
(one writer at a time). A later migration that
rebuilds `allocations` or `payments` on SQLite (batch mode copies the table) must create that
table's triggers again.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 07:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# The sum itself, for the obligations in `ids` (an array of ids); only changed rows are written.
PG_REFRESH = """
CREATE FUNCTION obligations_refresh_paid(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- Lock first; the UPDATE below then starts after any concurrent allocation has committed.
    PERFORM 1 FROM obligations o JOIN unnest(ids) AS x(id) ON o.id = x.id ORDER BY o.id FOR UPDATE OF o;
    UPDATE obligations o SET paid_amount = s.paid
    FROM (SELECT x.id, coalesce(sum(a.amount) FILTER (WHERE p.status = 'active'), 0) AS paid
          FROM unnest(ids) AS x(id)
          LEFT JOIN allocations a ON a.obligation_id = x.id
          LEFT JOIN payments p ON p.id = a.payment_id
          GROUP BY x.id) s
    WHERE o.id = s.id AND o.paid_amount <> s.paid;
END $$;
"""

#: Set (transaction-local) by the legacy ledger merge, which keeps the paid amounts of its bulk
#: itself (`app.legacy.merge_paid`); the triggers then do nothing.
MERGE_SETTING = 'powiadomienia.ledger_merge'

# trigger name -> (table, event, transition tables, body). New allocations (the legacy import's
# bulk, every booking) add their sum: one UPDATE, whose `paid_amount + paid` PostgreSQL evaluates
# again on the newest row when a concurrent transaction changed it first. Rarer changes sum again.
PG_TRIGGERS = {
    'allocations_paid_insert': ('allocations', 'INSERT', 'NEW TABLE AS new_rows', """
        UPDATE obligations o SET paid_amount = o.paid_amount + d.paid
        FROM (SELECT n.obligation_id AS id, sum(n.amount) AS paid FROM new_rows n
              JOIN payments p ON p.id = n.payment_id AND p.status = 'active'
              GROUP BY n.obligation_id) d
        WHERE o.id = d.id;"""),
    'allocations_paid_update': ('allocations', 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', """
        PERFORM obligations_refresh_paid(ARRAY(
            SELECT obligation_id FROM old_rows UNION SELECT obligation_id FROM new_rows));"""),
    'allocations_paid_delete': ('allocations', 'DELETE', 'OLD TABLE AS old_rows', """
        PERFORM obligations_refresh_paid(ARRAY(SELECT DISTINCT obligation_id FROM old_rows));"""),
    # The payments are locked first: a transaction allocating to one of them at the same moment
    # (its foreign key check holds a share lock) has then committed, and its allocation is summed.
    'payments_paid_status': ('payments', 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows', """
        PERFORM 1 FROM payments p JOIN new_rows n ON n.id = p.id JOIN old_rows o ON o.id = n.id
        WHERE n.status IS DISTINCT FROM o.status ORDER BY p.id FOR UPDATE OF p;
        PERFORM obligations_refresh_paid(ARRAY(
            SELECT DISTINCT a.obligation_id FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN allocations a ON a.payment_id = n.id WHERE n.status IS DISTINCT FROM o.status));"""),
}

SQLITE_PAID = ("round(coalesce((SELECT sum(a.amount) FROM allocations a JOIN payments p ON p.id = a.payment_id "
               "WHERE a.obligation_id = obligations.id AND p.status = 'active'), 0), 2)")

SQLITE_TRIGGERS = {
    'allocations_paid_insert': ('AFTER INSERT ON allocations', 'id = NEW.obligation_id'),
    'allocations_paid_update': ('AFTER UPDATE ON allocations', 'id IN (OLD.obligation_id, NEW.obligation_id)'),
    'allocations_paid_delete': ('AFTER DELETE ON allocations', 'id = OLD.obligation_id'),
    'payments_paid_status': ('AFTER UPDATE OF status ON payments WHEN OLD.status IS NOT NEW.status',
                             'id IN (SELECT obligation_id FROM allocations WHERE payment_id = NEW.id)'),
}


def upgrade():
    op.add_column('obligations', sa.Column('paid_amount', sa.Numeric(precision=14, scale=2), nullable=False,
                                           server_default=sa.text('0')))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            UPDATE obligations o SET paid_amount = s.paid
            FROM (SELECT a.obligation_id AS id, sum(a.amount) AS paid FROM allocations a
                  JOIN payments p ON p.id = a.payment_id AND p.status = 'active'
                  GROUP BY a.obligation_id) s
            WHERE o.id = s.id""")
        op.execute(PG_REFRESH)
        for name, (table, event, transitions, body) in PG_TRIGGERS.items():
            op.execute(f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF current_setting('{MERGE_SETTING}', true) = 'on' THEN
                        RETURN NULL;  -- the legacy merge keeps the paid amounts itself
                    END IF;
                    {body}
                    RETURN NULL;
                END $$""")
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transitions} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    else:
        op.execute(f"UPDATE obligations SET paid_amount = {SQLITE_PAID} "
                   "WHERE id IN (SELECT obligation_id FROM allocations)")
        for name, (when, which) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN "
                       f"UPDATE obligations SET paid_amount = {SQLITE_PAID} WHERE {which}; END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name, (table, *_rest) in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        op.execute("DROP FUNCTION obligations_refresh_paid(integer[])")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table('obligations', schema=None) as batch_op:
        batch_op.drop_column('paid_amount')
