-- Orders withdrawn before they started (book.Withdraw). An order's row never changes; its
-- withdrawal is a row of its own, and its work orders and operations take the state withdrawn.
CREATE TABLE order_withdrawals (
    order_id TEXT COLLATE "C" PRIMARY KEY REFERENCES orders (order_id) DEFERRABLE INITIALLY DEFERRED,
    at       BIGINT NOT NULL,
    actor    TEXT COLLATE "C" NOT NULL,
    reason   TEXT COLLATE "C" NOT NULL
);
