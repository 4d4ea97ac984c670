-- An operator's classification (categories, urgency, province; POST /cases/{id}/classify) wins over the report's:
-- once set, a later revision of the opening report no longer overwrites those three columns (PostgresCaseStore).
ALTER TABLE cases ADD COLUMN classified_at timestamptz;
