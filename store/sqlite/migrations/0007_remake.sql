-- 0007: remakes, and the orders that lost units.

-- A remake is a work order that makes again the units its order lost: remake_of names the work
-- order whose lost units it makes up for. NULL for an order's first work order.
ALTER TABLE work_orders ADD COLUMN remake_of INTEGER REFERENCES work_orders (id) DEFERRABLE INITIALLY DEFERRED;

-- OrdersWithLosses and LostOperations: the operations that scrapped units, a few among many.
CREATE INDEX operations_lost ON operations (work_order) WHERE scrapped > 0;
