DROP INDEX listings_owner_idx;
ALTER TABLE listings DROP COLUMN owner_address;
