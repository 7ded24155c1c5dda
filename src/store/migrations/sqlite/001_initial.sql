-- The kalewx schema (SPEC §14), SQLite dialect. PostgreSQL twin: pg/001_initial.sql.
-- Money is integer stroops; times are Unix milliseconds supplied by the caller;
-- ratios decided once and stored (modifiers, confidence) are integer parts per million.
-- Unique constraints are named unique indexes so both dialects report the same name.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    tier TEXT NOT NULL DEFAULT 'user',
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT valid_username CHECK (length(username) BETWEEN 3 AND 32),
    CONSTRAINT valid_tier CHECK (tier IN ('user', 'premium')),
    CONSTRAINT valid_admin_flag CHECK (is_admin IN (0, 1))
) STRICT;
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE custodial_wallets (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    public_key TEXT NOT NULL,
    encrypted_wallet TEXT NOT NULL,
    key_version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT valid_public_key CHECK (length(public_key) = 56 AND substr(public_key, 1, 1) = 'G'),
    CONSTRAINT valid_key_version CHECK (key_version >= 1)
) STRICT;
CREATE UNIQUE INDEX custodial_wallets_user_key ON custodial_wallets (user_id);
CREATE UNIQUE INDEX custodial_wallets_public_key_key ON custodial_wallets (public_key);

CREATE TABLE weather_cycles (
    cycle_id INTEGER PRIMARY KEY,
    start_block INTEGER NOT NULL,
    end_block INTEGER NOT NULL,
    current_state TEXT NOT NULL DEFAULT 'planting',
    participant_count INTEGER NOT NULL DEFAULT 0,
    total_staked INTEGER NOT NULL DEFAULT 0,
    revealing_block INTEGER,
    entropy BLOB,
    location TEXT,
    dao_result TEXT,
    weather_observation TEXT,
    weather_outcome TEXT,
    final_score_ppm INTEGER,
    confidence_ppm INTEGER,
    plant_modifier_ppm INTEGER,
    store_modifier_ppm INTEGER,
    settled_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT valid_block_range CHECK (start_block >= 0 AND end_block > start_block),
    CONSTRAINT valid_participant_count CHECK (participant_count >= 0),
    CONSTRAINT valid_total_staked CHECK (total_staked >= 0),
    CONSTRAINT valid_cycle_state CHECK (current_state IN ('planting', 'working', 'revealing', 'settling', 'settled')),
    CONSTRAINT valid_weather_outcome CHECK (weather_outcome IS NULL OR weather_outcome IN ('GOOD', 'BAD')),
    CONSTRAINT valid_confidence CHECK (confidence_ppm IS NULL OR confidence_ppm BETWEEN 0 AND 1000000),
    CONSTRAINT valid_final_score CHECK (final_score_ppm IS NULL OR final_score_ppm BETWEEN 0 AND 100000000),
    CONSTRAINT valid_modifiers CHECK ((plant_modifier_ppm IS NULL OR plant_modifier_ppm >= 0)
                                      AND (store_modifier_ppm IS NULL OR store_modifier_ppm >= 0)),
    CONSTRAINT settled_has_outcome CHECK (current_state <> 'settled'
                                          OR (weather_outcome IS NOT NULL AND settled_at IS NOT NULL))
) STRICT;
CREATE INDEX weather_cycles_open ON weather_cycles (cycle_id) WHERE current_state <> 'settled';

CREATE TABLE cycle_actions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    cycle_id INTEGER NOT NULL REFERENCES weather_cycles (cycle_id),
    block_number INTEGER NOT NULL,
    action_type TEXT NOT NULL,
    agriculture_type TEXT,
    direction TEXT,
    amount INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    CONSTRAINT valid_action_type CHECK (action_type IN ('agriculture', 'wager', 'stay')),
    CONSTRAINT valid_action_shape CHECK ((action_type = 'agriculture') = (agriculture_type IS NOT NULL)
                                         AND (action_type = 'wager') = (direction IS NOT NULL)
                                         AND (agriculture_type IS NULL OR agriculture_type IN ('plant', 'store'))
                                         AND (direction IS NULL OR direction IN ('good', 'bad'))),
    CONSTRAINT valid_stake_amount CHECK ((action_type = 'stay' AND amount = 0)
                                         OR (action_type <> 'stay' AND amount > 0))
) STRICT;
CREATE UNIQUE INDEX one_action_per_block ON cycle_actions (user_id, cycle_id, block_number);
CREATE INDEX cycle_actions_cycle ON cycle_actions (cycle_id, action_type);

CREATE TABLE farm_positions (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES cycle_actions (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    cycle_id INTEGER NOT NULL REFERENCES weather_cycles (cycle_id),
    position_type TEXT NOT NULL,
    stake_amount INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    kale_block INTEGER,
    work_nonce INTEGER,  -- the u64 nonce's bit pattern
    work_zeros INTEGER,
    work_gap INTEGER,
    base_reward INTEGER,
    final_reward INTEGER,
    weather_modifier_ppm INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    settled_at INTEGER,
    CONSTRAINT valid_position_type CHECK (position_type IN ('plant', 'store')),
    CONSTRAINT valid_position_stake CHECK (stake_amount > 0),
    CONSTRAINT valid_position_status CHECK (status IN ('pending', 'planted', 'worked', 'harvested', 'settled', 'failed')),
    CONSTRAINT valid_rewards CHECK ((base_reward IS NULL OR base_reward >= 0)
                                    AND (final_reward IS NULL OR final_reward >= 0)),
    CONSTRAINT failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL)
) STRICT;
CREATE UNIQUE INDEX farm_positions_action_key ON farm_positions (action_id);
CREATE INDEX farm_positions_user ON farm_positions (user_id, cycle_id);
CREATE INDEX farm_positions_active ON farm_positions (cycle_id, status) WHERE status NOT IN ('settled', 'failed');

CREATE TABLE weather_wagers (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES cycle_actions (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    cycle_id INTEGER NOT NULL REFERENCES weather_cycles (cycle_id),
    direction TEXT NOT NULL,
    amount INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    payout INTEGER,
    created_at INTEGER NOT NULL,
    settled_at INTEGER,
    CONSTRAINT valid_wager_direction CHECK (direction IN ('good', 'bad')),
    CONSTRAINT valid_wager_amount CHECK (amount > 0),
    CONSTRAINT valid_wager_status CHECK (status IN ('open', 'won', 'lost', 'refunded')),
    CONSTRAINT valid_payout CHECK (payout IS NULL OR payout >= 0)
) STRICT;
CREATE UNIQUE INDEX one_wager_per_cycle ON weather_wagers (user_id, cycle_id);
CREATE UNIQUE INDEX weather_wagers_action_key ON weather_wagers (action_id);
CREATE INDEX weather_wagers_cycle ON weather_wagers (cycle_id, direction);

CREATE TABLE daos (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    base_weight_ppm INTEGER NOT NULL,
    seed_correct INTEGER NOT NULL,
    seed_total INTEGER NOT NULL,
    correct_votes INTEGER NOT NULL DEFAULT 0,
    total_votes INTEGER NOT NULL DEFAULT 0,
    accuracy REAL NOT NULL,
    last_vote_cycle INTEGER,
    updated_at INTEGER NOT NULL,
    CONSTRAINT valid_base_weight CHECK (base_weight_ppm BETWEEN 0 AND 1000000),
    CONSTRAINT valid_vote_counts CHECK (correct_votes BETWEEN 0 AND total_votes
                                        AND seed_correct BETWEEN 0 AND seed_total),
    CONSTRAINT valid_accuracy CHECK (accuracy BETWEEN 0 AND 1)
) STRICT;

CREATE TABLE dao_votes (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER NOT NULL REFERENCES weather_cycles (cycle_id),
    dao_id TEXT NOT NULL REFERENCES daos (id),
    prediction TEXT NOT NULL,
    confidence_ppm INTEGER NOT NULL,
    reasoning TEXT NOT NULL DEFAULT '',
    commitment BLOB NOT NULL,
    salt BLOB NOT NULL,
    revealed INTEGER NOT NULL DEFAULT 0,
    valid INTEGER,
    correct INTEGER,
    committed_at INTEGER NOT NULL,
    revealed_at INTEGER,
    CONSTRAINT valid_prediction CHECK (prediction IN ('GOOD', 'BAD')),
    CONSTRAINT valid_vote_confidence CHECK (confidence_ppm BETWEEN 100000 AND 1000000),
    CONSTRAINT valid_commitment CHECK (length(commitment) = 32 AND length(salt) = 32),
    CONSTRAINT valid_vote_flags CHECK (revealed IN (0, 1) AND (valid IS NULL OR valid IN (0, 1))
                                       AND (correct IS NULL OR correct IN (0, 1)))
) STRICT;
CREATE UNIQUE INDEX one_vote_per_dao ON dao_votes (cycle_id, dao_id);

CREATE TABLE market_snapshots (
    id INTEGER PRIMARY KEY,
    cycle_id INTEGER REFERENCES weather_cycles (cycle_id),
    kale_block INTEGER NOT NULL,
    source TEXT NOT NULL,
    data TEXT NOT NULL,
    taken_at INTEGER NOT NULL,
    CONSTRAINT valid_snapshot_source CHECK (source IN ('sim', 'csv', 'reflector')),
    CONSTRAINT valid_snapshot_data CHECK (json_valid(data))
) STRICT;
CREATE INDEX market_snapshots_cycle ON market_snapshots (cycle_id, taken_at);

-- The double-entry ledger (store/ledger.h explains the sign convention).
CREATE TABLE ledger_accounts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    balance INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    CONSTRAINT valid_account_kind CHECK (kind IN ('user_available', 'user_escrow', 'weather_reserve', 'chain_in', 'chain_out')),
    CONSTRAINT valid_account_owner CHECK ((kind IN ('user_available', 'user_escrow')) = (user_id IS NOT NULL)),
    CONSTRAINT non_negative_balance CHECK (balance >= 0 OR kind IN ('chain_in', 'chain_out'))
) STRICT;
CREATE UNIQUE INDEX ledger_accounts_user_kind ON ledger_accounts (user_id, kind) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_accounts_system_kind ON ledger_accounts (kind) WHERE user_id IS NULL;
INSERT INTO ledger_accounts (kind, user_id, balance, created_at)
VALUES ('weather_reserve', NULL, 0, 0), ('chain_in', NULL, 0, 0), ('chain_out', NULL, 0, 0);

CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref TEXT,
    memo TEXT NOT NULL DEFAULT '',
    line_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT valid_entry_kind CHECK (length(kind) BETWEEN 1 AND 32),
    CONSTRAINT valid_line_count CHECK (line_count >= 2)
) STRICT;
CREATE UNIQUE INDEX ledger_entries_ref_key ON ledger_entries (kind, ref) WHERE ref IS NOT NULL;

CREATE TABLE ledger_lines (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES ledger_entries (id),
    account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount INTEGER NOT NULL,
    CONSTRAINT non_zero_line CHECK (amount <> 0)
) STRICT;
CREATE INDEX ledger_lines_entry ON ledger_lines (entry_id);
CREATE INDEX ledger_lines_account ON ledger_lines (account_id, entry_id);

CREATE TABLE chain_transactions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    position_id INTEGER REFERENCES farm_positions (id),
    kale_block INTEGER,
    amount INTEGER,
    tx_hash TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    result TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT valid_chain_tx_kind CHECK (kind IN ('plant', 'work', 'harvest', 'withdrawal', 'deposit')),
    CONSTRAINT valid_chain_tx_status CHECK (status IN ('pending', 'submitted', 'succeeded', 'failed')),
    CONSTRAINT valid_chain_tx_amount CHECK (amount IS NULL OR amount >= 0)
) STRICT;
CREATE UNIQUE INDEX chain_transactions_hash_key ON chain_transactions (tx_hash) WHERE tx_hash IS NOT NULL;
CREATE INDEX chain_transactions_open ON chain_transactions (status, created_at) WHERE status IN ('pending', 'submitted');
CREATE INDEX chain_transactions_position ON chain_transactions (position_id);

-- The outbox: AUTOINCREMENT so an id is never reused, even after the newest row is deleted.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    cycle_id INTEGER,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT valid_event_type CHECK (length(type) BETWEEN 1 AND 64),
    CONSTRAINT valid_event_payload CHECK (json_valid(payload))
) STRICT;
CREATE INDEX events_user ON events (user_id, id) WHERE user_id IS NOT NULL;

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    event_types TEXT NOT NULL DEFAULT '*',
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT valid_webhook_url CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),
    CONSTRAINT valid_webhook_active CHECK (active IN (0, 1))
) STRICT;
CREATE INDEX webhooks_user_active ON webhooks (user_id) WHERE active = 1;

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES events (id),
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    response_status INTEGER,
    last_error TEXT,
    delivered_at INTEGER,
    created_at INTEGER NOT NULL,
    CONSTRAINT valid_delivery_status CHECK (status IN ('pending', 'delivered', 'failed'))
) STRICT;
CREATE UNIQUE INDEX webhook_deliveries_event_key ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    key_hash BLOB NOT NULL,
    prefix TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER,
    CONSTRAINT valid_key_hash CHECK (length(key_hash) = 32),
    CONSTRAINT valid_key_prefix CHECK (substr(prefix, 1, 4) = 'kwx_' AND length(prefix) <= 16)
) STRICT;
CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_user_active ON api_keys (user_id) WHERE revoked_at IS NULL;

CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status_code INTEGER,
    response TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CONSTRAINT valid_idempotency_key CHECK (length(idem_key) BETWEEN 1 AND 255),
    CONSTRAINT valid_request_hash CHECK (length(request_hash) = 32)
) STRICT;
CREATE UNIQUE INDEX idempotency_keys_scope_key ON idempotency_keys (scope, idem_key);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Per-user performance. PostgreSQL keeps it as a materialized view; here the
-- view computes it and kw_performance_refresh copies it into the table, in the
-- settlement transaction. weather_consistency is the population standard
-- deviation of the weather modifier over the user's settled positions.
CREATE VIEW user_performance_live AS
WITH pos AS (
    SELECT user_id,
           COUNT(*) AS total_positions,
           SUM(stake_amount) AS total_staked,
           SUM(CASE WHEN status = 'settled' THEN final_reward ELSE 0 END) AS total_rewards,
           SUM(CASE WHEN status = 'settled' THEN stake_amount ELSE 0 END) AS settled_stake,
           AVG(CASE WHEN status = 'settled' THEN weather_modifier_ppm / 1000000.0 END) AS avg_mod,
           AVG(CASE WHEN status = 'settled'
                    THEN (weather_modifier_ppm / 1000000.0) * (weather_modifier_ppm / 1000000.0) END) AS avg_mod_sq,
           SUM(CASE WHEN status = 'settled' AND final_reward > stake_amount THEN 1 ELSE 0 END) AS winning,
           SUM(CASE WHEN status = 'settled' AND final_reward < stake_amount THEN 1 ELSE 0 END) AS losing
    FROM farm_positions GROUP BY user_id),
act AS (
    SELECT user_id, COUNT(DISTINCT cycle_id) AS cycles, MIN(created_at) AS first_at, MAX(created_at) AS last_at
    FROM cycle_actions GROUP BY user_id)
SELECT act.user_id AS user_id,
       act.cycles AS cycles_participated,
       COALESCE(pos.total_positions, 0) AS total_positions,
       COALESCE(pos.total_staked, 0) AS total_staked,
       COALESCE(pos.total_rewards, 0) AS total_rewards,
       COALESCE(pos.avg_mod, 0.0) AS avg_weather_modifier,
       COALESCE(pos.winning, 0) AS winning_positions,
       COALESCE(pos.losing, 0) AS losing_positions,
       CASE WHEN pos.settled_stake > 0
            THEN (pos.total_rewards - pos.settled_stake) * 1.0 / pos.settled_stake ELSE 0.0 END AS roi_ratio,
       CASE WHEN pos.avg_mod IS NULL THEN 0.0
            ELSE sqrt(max(pos.avg_mod_sq - pos.avg_mod * pos.avg_mod, 0.0)) END AS weather_consistency,
       act.first_at AS first_activity,
       act.last_at AS last_activity
FROM act LEFT JOIN pos ON pos.user_id = act.user_id;

CREATE TABLE user_performance_summary (
    user_id INTEGER PRIMARY KEY,
    cycles_participated INTEGER NOT NULL,
    total_positions INTEGER NOT NULL,
    total_staked INTEGER NOT NULL,
    total_rewards INTEGER NOT NULL,
    avg_weather_modifier REAL NOT NULL,
    winning_positions INTEGER NOT NULL,
    losing_positions INTEGER NOT NULL,
    roi_ratio REAL NOT NULL,
    weather_consistency REAL NOT NULL,
    first_activity INTEGER,
    last_activity INTEGER
) STRICT;
