-- Small named values the service keeps across restarts and replicas: the
-- webhook dispatcher's outbox cursor, the operator's pause switch.
CREATE TABLE service_state (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
