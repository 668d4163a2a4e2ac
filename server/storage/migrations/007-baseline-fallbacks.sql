-- Execution providers a baseline run passed over before the one it used, with their reasons
-- (JSON: [{"provider": "cuda", "reason": "..."}]): a run on CPU says why it was not on a GPU.
ALTER TABLE baselines ADD COLUMN fallbacks TEXT;
