-- 0018: orders withdrawn before they started (book.Withdraw). An order's row never changes; its
-- withdrawal is a row of its own, and its work orders and operations take the state withdrawn.
CREATE TABLE order_withdrawals (
    order_id TEXT PRIMARY KEY REFERENCES orders (order_id) DEFERRABLE INITIALLY DEFERRED,
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    reason   TEXT NOT NULL
);
