/* POST /api/v1/users (registration), POST /api/v1/auth/token (login) and
 * the caller's API keys: POST, GET /api/v1/auth/api-keys, DELETE
 * /api/v1/auth/api-keys/{id}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/body.h"
#include "api/handlers.h"
#include "api/query.h"
#include "crypto/password.h"

static kw_app *app_of(const kw_http_req *req) { return req->ctx; }

static int64_t now_of(const kw_http_req *req) { return kw_clock_now_ms(app_of(req)->engine->clock); }

/* Passwords leave no copy behind in the parsed body. */
static void wipe_string(json_t *root, const char *field)
{
    json_t *v = json_object_get(root, field);
    if (json_is_string(v))
        sodium_memzero((char *)json_string_value(v), json_string_length(v));
}

static json_t *user_json(const kw_identity_user *u)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:o}", "id", (json_int_t)u->id, "username", u->username, "tier",
                     kw_access_tier_name(u->tier), "role", kw_access_role_name(u->role), "custodial_address",
                     u->wallet, "wallet", u->external_wallet[0] ? json_string(u->external_wallet) : json_null(),
                     "created_at", kw_json_time(u->created_at));
}

static int register_user(const kw_http_req *req, kw_http_res *res)
{
    const char *username, *password, *wallet = NULL;
    const kw_field fields[] = {
        KW_FIELD_STRING("username", true, 1, 64, &username),
        KW_FIELD_STRING("password", true, 1, KW_PASSWORD_MAX_CHARS, &password),
        KW_FIELD_STRING("wallet", false, 1, 64, &wallet),
    };
    json_t *root;
    int rc = kw_body_read(req->body, req->body_len, fields, 3, &root, &res->err);
    if (rc)
        return rc;
    kw_identity_user u;
    rc = kw_identity_register(&app_of(req)->identity, username, password, wallet, now_of(req), &u, &res->err);
    wipe_string(root, "password");
    json_decref(root);
    if (rc == KW_ECONFLICT)
        snprintf(res->code, sizeof res->code, "USERNAME_TAKEN");
    if (rc)
        return rc;
    return kw_http_json(res, 201, user_json(&u));
}

static int login(const kw_http_req *req, kw_http_res *res)
{
    const char *username, *password;
    const kw_field fields[] = {
        KW_FIELD_STRING("username", true, 1, 64, &username),
        KW_FIELD_STRING("password", true, 1, KW_PASSWORD_MAX_CHARS, &password),
    };
    json_t *root;
    int rc = kw_body_read(req->body, req->body_len, fields, 2, &root, &res->err);
    if (rc)
        return rc;
    char token[KW_JWT_BUFSZ];
    kw_identity_user u;
    rc = kw_identity_login(&app_of(req)->identity, username, password, now_of(req), token, &u, &res->err);
    wipe_string(root, "password");
    json_decref(root);
    if (rc == KW_EAUTH)
        snprintf(res->code, sizeof res->code, "INVALID_CREDENTIALS");
    if (rc)
        return rc;
    rc = kw_http_json(res, 200,
                      json_pack("{s:s,s:s,s:i,s:o}", "token", token, "token_type", "Bearer", "expires_in", KW_JWT_TTL,
                                "user", user_json(&u)));
    sodium_memzero(token, sizeof token);
    return rc;
}

static json_t *apikey_json(const kw_apikey *k)
{
    return json_pack("{s:I,s:s,s:s,s:o,s:o,s:o}", "id", (json_int_t)k->id, "prefix", k->prefix, "name", k->name,
                     "created_at", kw_json_time(k->created_at), "last_used_at",
                     k->last_used_at ? kw_json_time(k->last_used_at) : json_null(), "revoked_at",
                     k->revoked_at ? kw_json_time(k->revoked_at) : json_null());
}

static int apikey_create(const kw_http_req *req, kw_http_res *res)
{
    const char *name = "";
    const kw_field fields[] = {KW_FIELD_STRING("name", false, 0, 64, &name)};
    json_t *root = NULL;
    int rc = req->body_len ? kw_body_read(req->body, req->body_len, fields, 1, &root, &res->err) : 0;
    if (rc)
        return rc;
    char key[KW_APIKEY_BUFSZ];
    kw_apikey meta;
    rc = kw_identity_apikey_create(&app_of(req)->identity, req->principal.user_id, name, now_of(req), key, &meta,
                                   &res->err);
    json_decref(root);
    if (rc)
        return rc;
    json_t *data = apikey_json(&meta);
    json_object_set_new(data, "key", json_string(key));
    sodium_memzero(key, sizeof key);
    return kw_http_json(res, 201, data);
}

static int apikey_list(const kw_http_req *req, kw_http_res *res)
{
    kw_apikey *keys;
    size_t n;
    int rc = kw_identity_apikey_list(&app_of(req)->identity, req->principal.user_id, &keys, &n, &res->err);
    if (rc)
        return rc;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, apikey_json(&keys[i]));
    free(keys);
    return kw_http_json(res, 200, json_pack("{s:o}", "api_keys", list));
}

static int apikey_revoke(const kw_http_req *req, kw_http_res *res)
{
    int64_t id;
    int rc = kw_http_param_int(req, "id", 1, INT64_MAX, &id, &res->err);
    if (rc || (rc = kw_identity_apikey_revoke(&app_of(req)->identity, req->principal.user_id, id, now_of(req),
                                              &res->err)) != 0)
        return rc;
    return kw_http_json(res, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1));
}

int kw_handlers_users(kw_router *r, kw_app *app, kw_err *err)
{
    const kw_route routes[] = {
        {"POST", "/api/v1/users", register_user, KW_ROUTE_PUBLIC, 0, app,
         "register: a user with a custodial wallet"},
        {"POST", "/api/v1/auth/token", login, KW_ROUTE_PUBLIC, KW_ROUTE_SECRET_REPLY, app,
         "log in: an access token for one hour"},
        {"POST", "/api/v1/auth/api-keys", apikey_create, KW_ROUTE_USER, KW_ROUTE_SECRET_REPLY, app,
         "a new API key, shown once"},
        {"GET", "/api/v1/auth/api-keys", apikey_list, KW_ROUTE_USER, 0, app, "the caller's API keys"},
        {"DELETE", "/api/v1/auth/api-keys/{id}", apikey_revoke, KW_ROUTE_USER, 0, app, "revoke an API key"},
    };
    return kw_router_add_all(r, routes, sizeof routes / sizeof routes[0], err);
}
