-- The wallet that owns a listing, and an index to list one owner's listings.
ALTER TABLE listings ADD COLUMN owner_address text;
CREATE INDEX listings_owner_idx ON listings (owner_address);
