#include <criterion/criterion.h>
#include <string.h>

#include "api/body.h"
#include "core/amount.h"

#define KALE KW_STROOPS_PER_KALE

/* The fields of a wager, plus a few extra types. */
static int direction;
static int64_t amount, count;
static const char *note;
static bool flag, note_given;

static kw_field wager_fields[] = {
    KW_FIELD_CONST("type"),
    KW_FIELD_ENUM("direction", true, "good|bad", &direction),
    KW_FIELD_AMOUNT("amount", true, KALE / 10, 10000 * KALE, &amount),
    {"note", KW_FIELD_T_STRING, false, 1, 10, NULL, &note, &note_given},
    KW_FIELD_INT("count", false, 1, 5, &count),
    KW_FIELD_BOOL("flag", false, &flag),
};
#define NW (sizeof wager_fields / sizeof wager_fields[0])

static int read_body(const char *body, kw_err *e)
{
    json_t *root = NULL;
    int rc = kw_body_read(body, strlen(body), wager_fields, NW, &root, e);
    cr_assert_eq(rc == 0, root != NULL);
    json_decref(root);
    return rc;
}

Test(body, accepts_a_valid_body)
{
    kw_err e = {0};
    json_t *root;
    const char *b = "{\"type\":\"wager\",\"direction\":\"bad\",\"amount\":\"12.5\",\"note\":\"caf\xc3\xa9\","
                    "\"count\":3,\"flag\":true}";
    cr_assert_eq(kw_body_read(b, strlen(b), wager_fields, NW, &root, &e), 0, "%s", e.msg);
    cr_assert_eq(direction, 1);
    cr_assert_eq(amount, 125000000);
    cr_assert_str_eq(note, "caf\xc3\xa9");
    cr_assert(note_given);
    cr_assert_eq(count, 3);
    cr_assert(flag);
    json_decref(root);
    count = -7;
    cr_assert_eq(read_body("{\"direction\":\"good\",\"amount\":\"0.1\"}", &e), 0, "%s", e.msg);
    cr_assert_eq(count, -7, "absent optional fields are left alone");
    cr_assert_not(note_given);
}

/* Each bad body is rejected with KW_EINVAL, the right reason and a message
 * holding `want`. */
Test(body, rejections_name_the_problem)
{
    static char deep[64];
    strcpy(deep, "{\"a\":");
    for (int i = 0; i < KW_BODY_DEPTH_MAX; i++)
        strcat(deep, "[");
    const struct {
        const char *body;
        int why;
        const char *want;
    } cases[] = {
        {"", KW_BODY_MALFORMED, "empty"},
        {"{", KW_BODY_MALFORMED, "malformed JSON"},
        {"{\"amount\":\"1\",}", KW_BODY_MALFORMED, "malformed JSON"},
        {"[1]", KW_BODY_MALFORMED, "JSON object"},
        {"\"x\"", KW_BODY_MALFORMED, "malformed JSON"},
        {"{\"direction\":\"good\",\"direction\":\"bad\",\"amount\":\"1\"}", KW_BODY_MALFORMED, "duplicate"},
        {"{\"note\":\"\xc3\x28\"}", KW_BODY_MALFORMED, "UTF-8"},
        {"{\"note\":\"\\u0000\"}", KW_BODY_MALFORMED, "malformed JSON"},
        {deep, KW_BODY_MALFORMED, "nested"},
        {"{\"amount\":\"1\"}", KW_BODY_INVALID, "field \"direction\" is required"},
        {"{\"direction\":\"good\"}", KW_BODY_INVALID, "field \"amount\" is required"},
        {"{\"direction\":\"up\",\"amount\":\"1\"}", KW_BODY_INVALID, "must be one of good/bad"},
        {"{\"direction\":1,\"amount\":\"1\"}", KW_BODY_INVALID, "\"direction\""},
        {"{\"direction\":\"good\",\"amount\":12.5}", KW_BODY_AMOUNT,
         "field \"amount\" must be a string such as \"12.5\", not a JSON number"},
        {"{\"direction\":\"good\",\"amount\":12}", KW_BODY_AMOUNT, "not a JSON number"},
        {"{\"direction\":\"good\",\"amount\":null}", KW_BODY_AMOUNT, "not null"},
        {"{\"direction\":\"good\",\"amount\":\"-1\"}", KW_BODY_AMOUNT, "amount"},
        {"{\"direction\":\"good\",\"amount\":\"1e3\"}", KW_BODY_AMOUNT, "amount"},
        {"{\"direction\":\"good\",\"amount\":\"0\"}", KW_BODY_AMOUNT, "amount"},
        {"{\"direction\":\"good\",\"amount\":\"0.01\"}", KW_BODY_AMOUNT_RANGE, "amount"},
        {"{\"direction\":\"good\",\"amount\":\"10000.0000001\"}", KW_BODY_AMOUNT_RANGE, "amount"},
        {"{\"direction\":\"good\",\"amount\":\"1.00000001\"}", KW_BODY_AMOUNT, "amount"},
        {"{\"direction\":\"good\",\"amount\":\"99999999999999999999999999\"}", KW_BODY_AMOUNT_RANGE, "amount"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"note\":\"\"}", KW_BODY_INVALID, "1 to 10 characters"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"note\":\"12345678901\"}", KW_BODY_INVALID, "1 to 10"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"note\":\"a\\nb\"}", KW_BODY_INVALID, "control"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"note\":[]}", KW_BODY_INVALID, "not an array"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"count\":2.5}", KW_BODY_INVALID, "whole number, not a fraction"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"count\":\"2\"}", KW_BODY_INVALID, "whole number"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"count\":6}", KW_BODY_INVALID, "from 1 to 5"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"flag\":1}", KW_BODY_INVALID, "true or false"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"admin\":true}", KW_BODY_UNKNOWN,
         "unknown field \"admin\" (allowed: type, direction, amount, note, count, flag)"},
        {"{\"direction\":\"good\",\"amount\":\"1\",\"x'; DROP TABLE users;--\":1}", KW_BODY_UNKNOWN, "unknown field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kw_err e = {0};
        cr_assert_eq(read_body(cases[i].body, &e), KW_EINVAL, "case %zu accepted: %s", i, cases[i].body);
        cr_assert_eq(e.code, cases[i].why, "case %zu: reason %d (%s)", i, e.code, e.msg);
        cr_assert(strstr(e.msg, cases[i].want), "case %zu: message \"%s\" lacks \"%s\"", i, e.msg, cases[i].want);
    }
}

Test(body, depth_cap_is_exact)
{
    char ok[64] = "{\"a\":", bad[64];
    for (int i = 1; i < KW_BODY_DEPTH_MAX; i++)
        strcat(ok, "[");
    for (int i = 1; i < KW_BODY_DEPTH_MAX; i++)
        strcat(ok, "]");
    strcat(ok, "}");
    json_t *root;
    kw_err e = {0};
    cr_assert_eq(kw_body_parse(ok, strlen(ok), &root, &e), 0, "%s", e.msg);
    json_decref(root);
    /* Brackets inside strings do not count. */
    snprintf(bad, sizeof bad, "{\"a\":\"[[[[[[[[[[[[[[[[[[\\\"[[\"}");
    cr_assert_eq(kw_body_parse(bad, strlen(bad), &root, &e), 0, "%s", e.msg);
    json_decref(root);
}

Test(body, embedded_nul_is_rejected)
{
    json_t *root;
    kw_err e = {0};
    cr_assert_eq(kw_body_parse("{\"a\":1}\0x", 9, &root, &e), KW_EINVAL);
    cr_assert_null(root);
    cr_assert(strstr(e.msg, "NUL"));
}
