-- A repair's external id (book.RepairIntake.External), the id another system gave the repair
-- (a network's repair id): unique, so that the same request opened twice finds the repair it
-- opened. Repairs opened here have none (NULL).
ALTER TABLE repairs ADD COLUMN external TEXT COLLATE "C";
CREATE UNIQUE INDEX repairs_external ON repairs (external) WHERE external IS NOT NULL;
