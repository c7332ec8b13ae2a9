-- Listings shown on the coinestate front page.
CREATE TABLE listings (
  id bigserial PRIMARY KEY,
  title text NOT NULL,
  price_wei numeric(78, 0) NOT NULL CHECK (price_wei >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
