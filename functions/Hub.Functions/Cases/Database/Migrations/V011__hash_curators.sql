-- Hash curators (docs/hash-bank.md#curators): a role that confirms a case's evidence item as child-abuse material,
-- whose hashes then go into the hub's own verified bank, and votes on matches. Applied once; never edited.
ALTER TABLE user_roles DROP CONSTRAINT user_roles_role_check;
ALTER TABLE user_roles ADD CONSTRAINT user_roles_role_check CHECK (role IN ('counsellor', 'supervisor', 'liaison', 'analyst', 'admin', 'hash-curator'));

-- The hotline's own bank: hashes of material its curators confirmed (kind local-verified, owned by the central team).
INSERT INTO hash_banks (name, owner_team, kind, created_at) VALUES ('hub-verified', 'central-111', 'local-verified', now()) ON CONFLICT (name) DO NOTHING;

-- A curator's confirmation is a known-material match like a bank's (distance 0), so the item is hidden from then on.
ALTER TABLE case_hash_matches ADD COLUMN confirmed_by bigint REFERENCES users (id);
