-- What papers report about a method beside its name (server/domain/schemas.ts MethodMeta): separate
-- paper and code links, the backbone, the pretraining and any extra data. NULL where not given; `link`
-- stays for what older submissions gave as "paper or code".
ALTER TABLE submissions ADD COLUMN paper TEXT;
ALTER TABLE submissions ADD COLUMN code TEXT;
ALTER TABLE submissions ADD COLUMN backbone TEXT;
ALTER TABLE submissions ADD COLUMN pretraining TEXT;
ALTER TABLE submissions ADD COLUMN extra_data TEXT;
-- a method's rows in the other phase of its split and protocol, found by user and method name
CREATE INDEX submissions_by_user_method ON submissions(user_id, benchmark, method COLLATE NOCASE);
