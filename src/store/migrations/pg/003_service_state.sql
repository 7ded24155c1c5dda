-- Small named values the service keeps across restarts and replicas: the
-- webhook dispatcher's outbox cursor, the operator's pause switch.
CREATE TABLE service_state (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
