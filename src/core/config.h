/*
 * config — every setting of kalewx, its default, its bounds, and where its
 * value came from (SPEC §15).
 *
 * Values come from four sources; a later source never overrides an earlier
 * one in this order of precedence: flags > environment > file > defaults.
 * Loading order therefore does not matter. Parsing is pure: the caller reads
 * the file and passes its text, and passes the environment as an envp array.
 *
 * Adding a setting is one line in KW_CONFIG_SETTINGS below.
 *
 * Ownership: a kw_config owns its strings; kw_config_free releases them and
 * wipes secret values. Not thread-safe while loading; read-only use after
 * loading is thread-safe.
 */
#ifndef KW_CORE_CONFIG_H
#define KW_CORE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cycle.h"
#include "core/err.h"

typedef enum kw_config_type {
    KW_CFG_T_INT,    /* decimal integer within [min, max] */
    KW_CFG_T_STR,    /* any text */
    KW_CFG_T_BOOL,   /* 1/0, true/false, yes/no, on/off */
    KW_CFG_T_ENUM,   /* one of the '|'-separated choices */
    KW_CFG_T_AMOUNT, /* KALE decimal, stored as stroops */
    KW_CFG_T_RATE,   /* a fraction 0..1 with up to 6 decimals, stored as ppm */
} kw_config_type;

/* X(name, type, default, min, max, secret, choices, help) */
#define KW_CONFIG_SETTINGS(X) \
    X(PORT, INT, "3000", 1, 65535, 0, 0, "HTTP port of the API and dashboard") \
    X(BIND, STR, "127.0.0.1", 0, 0, 0, 0, "address the HTTP server binds to") \
    X(KALEWX_DATA_DIR, STR, "./data", 0, 0, 0, 0, "directory for SQLite files, devnet state and generated keys") \
    X(KALEWX_CHAIN, ENUM, "devnet", 0, 0, 0, "devnet|testnet|mainnet", "which chain to farm") \
    X(KALEWX_ENV, ENUM, "development", 0, 0, 0, "development|production|test", "deployment environment (production sanitises error messages)") \
    X(LOG_LEVEL, ENUM, "info", 0, 0, 0, "debug|info|warn|error", "lowest level that is logged") \
    X(DATABASE_URL, STR, "", 0, 0, 1, 0, "sqlite:PATH or postgres://...; empty means SQLite under KALEWX_DATA_DIR") \
    X(DB_POOL_SIZE, INT, "4", 1, 64, 0, 0, "PostgreSQL connections per process") \
    X(REDIS_URL, STR, "", 0, 0, 1, 0, "redis://... to share rate limits across replicas") \
    X(STELLAR_RPC_URL, STR, "", 0, 0, 0, 0, "Stellar RPC endpoint for testnet/mainnet") \
    X(STELLAR_NETWORK_PASSPHRASE, STR, "", 0, 0, 0, 0, "overrides the network passphrase of KALEWX_CHAIN") \
    X(KALE_CONTRACT_ID, STR, "", 0, 0, 0, 0, "overrides the KALE farm contract of KALEWX_CHAIN") \
    X(KALEWX_FEE_ACCOUNT_SECRET, STR, "", 0, 0, 1, 0, "S... secret of the account that pays transaction fees") \
    X(CHANNEL_ACCOUNTS, STR, "", 0, 0, 1, 0, "comma-separated S... secrets of channel accounts for parallel submission") \
    X(CYCLE_LENGTH, INT, "10", 4, 100000, 0, 0, "KALE blocks per weather cycle") \
    X(CYCLE_START_BLOCK, INT, "0", 0, 4294967295LL, 0, 0, "KALE block where cycle 0 begins") \
    X(PLANTING_BLOCKS, INT, "6", 0, 100000, 0, 0, "blocks of the planting phase") \
    X(WORKING_BLOCKS, INT, "2", 0, 100000, 0, 0, "blocks of the working phase") \
    X(REVEALING_BLOCKS, INT, "1", 0, 100000, 0, 0, "blocks of the revealing phase") \
    X(SETTLING_BLOCKS, INT, "1", 0, 100000, 0, 0, "blocks of the settling phase") \
    X(MONITOR_INTERVAL, INT, "0", 0, 3600000, 0, 0, "chain poll interval in ms; 0 = 500 on devnet, 5000 otherwise") \
    X(WORK_SECONDS, INT, "0", 0, 3600, 0, 0, "proof-of-work search time per block; 0 = half a block") \
    X(MINER_THREADS, INT, "0", 0, 1024, 0, 0, "proof-of-work threads; 0 = one per CPU") \
    X(KALEWX_KECCAK, ENUM, "auto", 0, 0, 0, "auto|scalar|avx2|avx512", "Keccak path of the miner; auto = the fastest this CPU has") \
    X(DEVNET_BLOCK_SECONDS, INT, "20", 1, 3600, 0, 0, "devnet block interval in seconds") \
    X(DEVNET_LEDGER_MS, INT, "1000", 10, 60000, 0, 0, "devnet ledger close interval in ms") \
    X(DEVNET_CROWD, INT, "1000", 0, 100000, 0, 0, "simulated background farmers on the devnet") \
    X(DEVNET_FAULT_RATE, RATE, "0", 0, 1000000, 0, 0, "fraction of devnet calls that fail transiently (0..1)") \
    X(DEVNET_LATENCY_MS, INT, "0", 0, 60000, 0, 0, "added latency of each devnet call in ms") \
    X(DEVNET_SEED, INT, "1", 0, 9223372036854775807LL, 0, 0, "seed of the devnet's crowd and fault injection") \
    X(DEVNET_RESERVE, AMOUNT, "1000000", 0, 0, 0, 0, "KALE seeded into the weather reserve on devnet") \
    X(WAGER_FEE_BPS, INT, "100", 0, 10000, 0, 0, "parimutuel fee on the losing side, basis points") \
    X(MARKET_FEED, ENUM, "sim", 0, 0, 0, "sim|csv|reflector", "market data source") \
    X(MARKET_SEED, INT, "1", 0, 9223372036854775807LL, 0, 0, "seed of the market simulator") \
    X(MARKET_CSV, STR, "", 0, 0, 0, 0, "timestamp,asset,price file for MARKET_FEED=csv") \
    X(REFLECTOR_NETWORK, ENUM, "mainnet", 0, 0, 0, "mainnet|testnet", "network of the Reflector oracles for MARKET_FEED=reflector") \
    X(REFLECTOR_RPC_URL, STR, "", 0, 0, 0, 0, "Stellar RPC endpoint for the Reflector oracles; empty = STELLAR_RPC_URL") \
    X(WEATHER_PROVIDER, ENUM, "climate", 0, 0, 0, "climate|owm", "weather observation source") \
    X(OPENWEATHER_API_KEY, STR, "", 0, 0, 1, 0, "OpenWeatherMap API key for WEATHER_PROVIDER=owm") \
    X(OPENWEATHER_URL, STR, "https://api.openweathermap.org/data/2.5/weather", 0, 0, 0, 0, "OpenWeatherMap current-weather endpoint") \
    X(OPENWEATHER_TIMEOUT_MS, INT, "10000", 1, 120000, 0, 0, "time limit of one OpenWeatherMap request in ms") \
    X(KALEWX_MASTER_KEY, STR, "", 0, 0, 1, 0, "master secret that protects custodial wallets") \
    X(KALEWX_MASTER_KEY_FILE, STR, "", 0, 0, 0, 0, "file holding the master secret") \
    X(JWT_SECRET, STR, "", 0, 0, 1, 0, "HS256 secret for access tokens") \
    X(ALLOWED_ORIGINS, STR, "", 0, 0, 0, 0, "comma-separated origins allowed by CORS") \
    X(TRUST_PROXY, BOOL, "0", 0, 1, 0, 0, "trust X-Forwarded-For for client addresses") \
    X(KALEWX_SERVER, STR, "http://127.0.0.1:3000", 0, 0, 0, 0, "server the client commands talk to (also --server)") \
    X(HTTP_THREADS, INT, "0", 0, 256, 0, 0, "HTTP worker threads; 0 = one per core") \
    X(HTTP_MAX_CONNECTIONS, INT, "4096", 16, 1000000, 0, 0, "most simultaneous HTTP connections, event streams included") \
    X(HTTP_TIMEOUT_SECONDS, INT, "60", 1, 3600, 0, 0, "idle HTTP connections are closed after this many seconds") \
    X(HTTP_BODY_MAX, INT, "65536", 1024, 16777216, 0, 0, "largest request body in bytes (larger gets 413)") \
    X(RATE_LIMIT_WINDOW_SECONDS, INT, "900", 1, 86400, 0, 0, "length of the rate-limit window") \
    X(RATE_LIMIT_ANONYMOUS, INT, "100", 0, 1000000000, 0, 0, "requests per window of an anonymous client address") \
    X(RATE_LIMIT_USER, INT, "500", 0, 1000000000, 0, 0, "requests per window of a user") \
    X(RATE_LIMIT_PREMIUM, INT, "1000", 0, 1000000000, 0, 0, "requests per window of a premium user") \
    X(SSE_HEARTBEAT_MS, INT, "15000", 10, 3600000, 0, 0, "interval of keep-alive comments on event streams") \
    X(SSE_BUFFER_EVENTS, INT, "4096", 16, 1048576, 0, 0, "recent events kept in memory for event-stream resumes") \
    X(KALEWX_WEB_DIR, STR, "", 0, 0, 0, 0, "directory of the dashboard's files; empty = the installed copy, else the source tree's web/") \
    X(OUTBOX_POLL_MS, INT, "1000", 10, 60000, 0, 0, "how often the outbox is read for events committed elsewhere (other replicas, missed wake-ups)") \
    X(WEBHOOK_RETRY_BASE_MS, INT, "1000", 1, 3600000, 0, 0, "first webhook retry delay, doubled per attempt (up to an hour) for 24 hours") \
    X(WEBHOOK_TIMEOUT_MS, INT, "10000", 100, 120000, 0, 0, "time limit of one webhook delivery in ms")

typedef enum kw_config_key {
#define KW_CFG_ENUM_(name, type, def, min, max, secret, choices, help) KW_CFG_##name,
    KW_CONFIG_SETTINGS(KW_CFG_ENUM_)
#undef KW_CFG_ENUM_
    KW_CFG_COUNT,
} kw_config_key;

typedef enum kw_config_source {
    KW_SRC_DEFAULT = 0,
    KW_SRC_FILE,
    KW_SRC_ENV,
    KW_SRC_FLAG,
} kw_config_source;

typedef struct kw_config {
    char *text[KW_CFG_COUNT];     /* the value as given (owned) */
    int64_t num[KW_CFG_COUNT];    /* parsed value for INT/BOOL/ENUM(index)/AMOUNT/RATE */
    kw_config_source source[KW_CFG_COUNT];
} kw_config;

typedef struct kw_config_info {
    const char *name;     /* environment variable, e.g. "CYCLE_LENGTH" */
    const char *flag;     /* e.g. "--cycle-length" */
    kw_config_type type;
    const char *def;
    int64_t min, max;
    bool secret;          /* never printed */
    const char *choices;  /* ENUM only */
    const char *help;
} kw_config_info;

/* Fills cfg with defaults. Returns KW_ENOMEM on allocation failure. */
int kw_config_init(kw_config *cfg) KW_WUR;
void kw_config_free(kw_config *cfg);

const kw_config_info *kw_config_describe(kw_config_key key);
/* Finds a key by environment name; returns KW_ENOTFOUND. */
int kw_config_lookup(const char *name, kw_config_key *out) KW_WUR;

/* Sets one value from a source; ignored (returns 0) when a higher-precedence
 * source already set it. KW_EINVAL names the setting and the rule broken. */
int kw_config_set(kw_config *cfg, kw_config_key key, const char *value,
                  kw_config_source src, kw_err *err) KW_WUR;

/* Parses .env-style text: KEY=VALUE lines, optional `export `, '#' comments,
 * optional single or double quotes. Unknown keys are errors naming origin and line. */
int kw_config_load_text(kw_config *cfg, const char *text, const char *origin, kw_err *err) KW_WUR;

/* Takes every known variable from envp (NULL-terminated "K=V" strings). */
int kw_config_load_env(kw_config *cfg, char *const *envp, kw_err *err) KW_WUR;

/* Consumes "--flag VALUE" and "--flag=VALUE" for every setting from argv,
 * compacting argv in place and updating *argc; other arguments are left. */
int kw_config_load_args(kw_config *cfg, int *argc, char **argv, kw_err *err) KW_WUR;

/* Cross-setting checks (the cycle phases). */
int kw_config_validate(const kw_config *cfg, kw_err *err) KW_WUR;

int64_t kw_config_int(const kw_config *cfg, kw_config_key key);
bool kw_config_bool(const kw_config *cfg, kw_config_key key);
const char *kw_config_str(const kw_config *cfg, kw_config_key key);
bool kw_config_is_set(const kw_config *cfg, kw_config_key key);

/* The cycle settings as a kw_cycle_config. */
kw_cycle_config kw_config_cycle(const kw_config *cfg);

#endif
