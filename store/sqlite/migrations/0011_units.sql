-- 0011: units as records.

-- units are the units work orders made, each created in the transaction that first counted it
-- and never deleted. number is the unit's number within its work order, from 1; order_unit its
-- number within its order (a remake's units after those of the order's work orders before
-- it). A work order's live units are always its lowest-numbered ones: scrapping marks the
-- highest-numbered live units (scrapped_operation, scrapped_reason and scrapped_at; NULL for a
-- live unit), so that unit n is the nth good unit at every later step. seq is the studio's
-- count of units, from 1: the next is one more than the largest stored.
CREATE TABLE units (
    work_order         INTEGER NOT NULL REFERENCES work_orders (id) DEFERRABLE INITIALLY DEFERRED,
    number             INTEGER NOT NULL,
    order_unit         INTEGER NOT NULL,
    serial             TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    scrapped_operation INTEGER REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED,
    scrapped_reason    TEXT,
    scrapped_at        INTEGER,
    PRIMARY KEY (work_order, number)
) WITHOUT ROWID;
CREATE UNIQUE INDEX units_serial ON units (serial);
CREATE UNIQUE INDEX units_seq ON units (seq);
-- A work order's lowest scrapped unit, one above its last live one.
CREATE INDEX units_scrapped ON units (work_order, number) WHERE scrapped_operation IS NOT NULL;

-- The units finished before this migration get the serials their labels were printed with,
-- "{order}-{n}", numbered as the labels numbered them: a work order has as many units as its
-- operations finished at most (counted, or the good units of one done), created when its first
-- operation started (when the work order came in, if none has a start).
CREATE TEMP TABLE made AS
SELECT w.id AS work_order, w.order_id, w.quantity,
    (SELECT coalesce(sum(p.quantity), 0) FROM work_orders p WHERE p.order_id = w.order_id AND p.id < w.id) AS before,
    (SELECT coalesce(max(max(o.units_done, CASE WHEN o.state = 'done' THEN o.quantity - o.scrapped ELSE 0 END)), 0)
        FROM operations o WHERE o.work_order = w.id) AS finished,
    coalesce((SELECT min(o.started_at) FROM operations o WHERE o.work_order = w.id), w.intake_at) AS created_at
FROM work_orders w;

INSERT INTO units (work_order, number, order_unit, serial, seq, created_at)
WITH RECURSIVE n (work_order, number) AS (
    SELECT work_order, 1 FROM made WHERE finished > 0
    UNION ALL
    SELECT n.work_order, n.number + 1 FROM n JOIN made m ON m.work_order = n.work_order WHERE n.number < m.finished
)
SELECT n.work_order, n.number, m.before + n.number, m.order_id || '-' || (m.before + n.number),
    row_number() OVER (ORDER BY n.work_order, n.number), m.created_at
FROM n JOIN made m ON m.work_order = n.work_order
ORDER BY n.work_order, n.number;

-- A unit numbered above what its work order has left was scrapped at the first operation
-- whose scraps, with those of the operations before it, brought the work order below it.
UPDATE units SET (scrapped_operation, scrapped_reason, scrapped_at) = (
    SELECT o.id, o.reason, coalesce(o.ended_at, o.started_at, units.created_at)
    FROM operations o JOIN made m ON m.work_order = o.work_order
    WHERE o.work_order = units.work_order
        AND m.quantity - (SELECT sum(p.scrapped) FROM operations p WHERE p.work_order = o.work_order AND p.seq <= o.seq) < units.number
    ORDER BY o.seq LIMIT 1)
WHERE number > (SELECT m.quantity - (SELECT coalesce(sum(o.scrapped), 0) FROM operations o WHERE o.work_order = m.work_order)
    FROM made m WHERE m.work_order = units.work_order);

DROP TABLE made;
