/*
 * expired_token — prints an access token for user SUB signed with the
 * server's own key (KALEWX_DATA_DIR/jwt.key on a devnet) but issued
 * SECONDS ago, so the CLI's handling of an expired login can be tested
 * against a real server.
 *
 *   expired_token DATA_DIR SUB SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crypto/jwt.h"
#include "crypto/secret.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: expired_token DATA_DIR SUB SECONDS\n");
        return 2;
    }
    char path[1024], token[KW_JWT_BUFSZ];
    snprintf(path, sizeof path, "%s/jwt.key", argv[1]);
    kw_secret key = {0};
    kw_err err = {0};
    if (kw_secret_read_file(path, &key, &err) != 0 ||
        kw_jwt_issue(key.bytes, key.len, argv[2], KW_ACCESS_USER, KW_ACCESS_ROLE_USER, (int64_t)time(NULL) - atoll(argv[3]),
                     token, &err) != 0) {
        fprintf(stderr, "expired_token: %s\n", err.msg);
        kw_secret_free(&key);
        return 1;
    }
    kw_secret_free(&key);
    puts(token);
    return 0;
}
