-- 0008: what a shared tablet needs of the floor's state and of its sign-ins.

-- A fault report keeps the code of the reason it was reported with, so that the pages name the
-- reason by its label; reports stored before have none ('') and are shown by their reason.
ALTER TABLE cell_reports ADD COLUMN code TEXT NOT NULL DEFAULT '';

-- A session may end after a time without activity as well as at its expiry: idle_us is that
-- time (0: none), seen_at when its person last did something (a page opened, an action).
ALTER TABLE sessions ADD COLUMN idle_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN seen_at INTEGER NOT NULL DEFAULT 0;
