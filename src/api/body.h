/*
 * body — strict parsing and validation of JSON request bodies (SPEC §10).
 *
 * A body must be a JSON object of well-formed UTF-8, nested at most
 * KW_BODY_DEPTH_MAX deep, without duplicate keys. Its fields are then read
 * against a table; anything the table does not name is rejected:
 *
 *     int direction; int64_t amount;
 *     const kw_field fields[] = {
 *         KW_FIELD_ENUM("direction", true, "good|bad", &direction),
 *         KW_FIELD_AMOUNT("amount", true, KW_STROOPS_PER_KALE / 10, 10000 * KW_STROOPS_PER_KALE, &amount),
 *         KW_FIELD_CONST("type"),      // present in the body, checked elsewhere
 *     };
 *     json_t *root;
 *     int rc = kw_body_read(req->body, req->body_len, fields, 3, &root, &res->err);
 *     if (rc) return rc;               // → 400 with the message
 *     ...
 *     json_decref(root);               // string outputs point into root
 *
 * Every message names the field: `field "amount" must be a string such as
 * "12.5", not a JSON number`. Amounts are decimal strings parsed by
 * kw_amount_parse (so its messages and limits apply).
 *
 * Errors return KW_EINVAL and set err->code to a kw_body_reject reason:
 * KW_BODY_MALFORMED (not JSON, not UTF-8, too deep, not an object),
 * KW_BODY_UNKNOWN (a field the table does not name), KW_BODY_AMOUNT /
 * KW_BODY_AMOUNT_RANGE (an amount field), KW_BODY_INVALID (any other field
 * problem); kw_http_fail_code turns each into its status and code.
 *
 * Pure apart from allocation; thread-safe.
 */
#ifndef KW_API_BODY_H
#define KW_API_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

#define KW_BODY_DEPTH_MAX 8

enum kw_body_reject {
    KW_BODY_MALFORMED = 101,     /* 400 MALFORMED_JSON */
    KW_BODY_INVALID = 102,       /* 400 VALIDATION_ERROR */
    KW_BODY_UNKNOWN = 103,       /* 400 UNKNOWN_FIELD */
    KW_BODY_AMOUNT = 104,        /* 400 INVALID_AMOUNT: not an amount at all */
    KW_BODY_AMOUNT_RANGE = 105,  /* 422 AMOUNT_OUT_OF_RANGE: an amount, outside the field's limits */
};

typedef enum kw_field_type {
    KW_FIELD_T_STRING = 0,  /* out: const char ** into root; min/max: length in characters */
    KW_FIELD_T_AMOUNT,      /* out: int64_t * stroops; min/max: stroops (min ≥ 1) */
    KW_FIELD_T_INT,         /* out: int64_t *; min/max: value; JSON integer only */
    KW_FIELD_T_BOOL,        /* out: bool * */
    KW_FIELD_T_ENUM,        /* out: int * index into choices "a|b|c" */
    KW_FIELD_T_ANY,         /* allowed, not read (checked by the caller) */
} kw_field_type;

typedef struct kw_field {
    const char *name;
    kw_field_type type;
    bool required;
    int64_t min, max;
    const char *choices;
    void *out;
    bool *present;          /* optional: set to whether the field was given */
} kw_field;

#define KW_FIELD_STRING(n, req, minlen, maxlen, out) {(n), KW_FIELD_T_STRING, (req), (minlen), (maxlen), NULL, (out), NULL}
#define KW_FIELD_AMOUNT(n, req, min, max, out) {(n), KW_FIELD_T_AMOUNT, (req), (min), (max), NULL, (out), NULL}
#define KW_FIELD_INT(n, req, min, max, out) {(n), KW_FIELD_T_INT, (req), (min), (max), NULL, (out), NULL}
#define KW_FIELD_BOOL(n, req, out) {(n), KW_FIELD_T_BOOL, (req), 0, 0, NULL, (out), NULL}
#define KW_FIELD_ENUM(n, req, choices, out) {(n), KW_FIELD_T_ENUM, (req), 0, 0, (choices), (out), NULL}
#define KW_FIELD_CONST(n) {(n), KW_FIELD_T_ANY, false, 0, 0, NULL, NULL, NULL}

/* Parses body[0..len) into a JSON object (*out, owned by the caller). */
int kw_body_parse(const char *body, size_t len, json_t **out, kw_err *err) KW_WUR;

/* Reads obj's fields against the table. Outputs of absent optional fields
 * are left untouched. Fields are checked in table order, then unknown keys. */
int kw_body_fields(const json_t *obj, const kw_field *fields, size_t n, kw_err *err) KW_WUR;

/* kw_body_parse then kw_body_fields; *root is NULL on error. */
int kw_body_read(const char *body, size_t len, const kw_field *fields, size_t n, json_t **root,
                 kw_err *err) KW_WUR;

#endif
