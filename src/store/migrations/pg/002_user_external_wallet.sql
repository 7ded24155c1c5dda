-- The user's own Stellar account (G…), where withdrawals go; optional (SPEC §9).
ALTER TABLE users ADD COLUMN external_wallet TEXT,
    ADD CONSTRAINT valid_external_wallet
    CHECK (external_wallet IS NULL OR (length(external_wallet) = 56 AND substr(external_wallet, 1, 1) = 'G'));
