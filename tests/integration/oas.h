/*
 * oas — checks replies against the OpenAPI document the server serves: the
 * operation of (method, path), the reply documented for the status, and the
 * JSON body against its schema. The schema subset understood is the one
 * src/api/openapi.json uses: type (one or a list), enum, required,
 * properties, additionalProperties, items, oneOf and local $ref.
 */
#ifndef KW_TESTS_OAS_H
#define KW_TESTS_OAS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Takes a reference to the document. */
void kwt_oas_use(json_t *doc);

/* 0 when the reply fits the document; otherwise -1 with the reason in why. */
int kwt_oas_check(const char *method, const char *path, long status, const char *content_type, const json_t *body,
                  char *why, size_t cap);

/* Validates v against schema (for tests of the validator itself). */
int kwt_oas_validate(const json_t *schema, const json_t *v, char *why, size_t cap);

#endif
