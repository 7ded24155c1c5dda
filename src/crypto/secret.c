#include "crypto/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/sha.h"
#include "obs/log.h"

void kw_secret_free(kw_secret *s)
{
    if (s->bytes)
        sodium_free(s->bytes);
    s->bytes = NULL;
    s->len = 0;
}

int kw_secret_from_text(const char *text, size_t n, const char *what, kw_secret *out, kw_err *err)
{
    out->bytes = NULL;
    out->len = 0;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    if (n < KW_SECRET_MIN || n > KW_SECRET_MAX)
        return kw_err_set(err, KW_EINVAL, "%s must be %d to %d characters long (e.g. `openssl rand -hex 32`)",
                          what, KW_SECRET_MIN, KW_SECRET_MAX);
    if (memchr(text, '\0', n) || memchr(text, '\n', n) || memchr(text, '\r', n))
        return kw_err_set(err, KW_EINVAL, "%s must be one line of text", what);
    if (sodium_init() < 0)
        return kw_err_set(err, KW_ECRYPTO, "libsodium failed to initialise");
    out->bytes = sodium_malloc(n);
    if (!out->bytes)
        return kw_err_set(err, KW_ENOMEM, "out of memory for %s", what);
    memcpy(out->bytes, text, n);
    out->len = n;
    return 0;
}

int kw_secret_read_file(const char *path, kw_secret *out, kw_err *err)
{
    out->bytes = NULL;
    out->len = 0;
    if (sodium_init() < 0)
        return kw_err_set(err, KW_ECRYPTO, "libsodium failed to initialise");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return kw_err_set(err, errno == ENOENT ? KW_EINVAL : KW_EIO, "cannot read key file %s: %s", path,
                          strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = kw_err_set(err, KW_EINVAL, "key file %s is not a regular file", path);
        goto fail;
    }
    if (st.st_size > KW_SECRET_MAX + 2) {
        rc = kw_err_set(err, KW_EINVAL, "key file %s is larger than %d bytes", path, KW_SECRET_MAX);
        goto fail;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        KW_LOG(KW_LOG_WARN, "key file is accessible to group or others; chmod 600 it", KW_LS("path", path));
    uint8_t *buf = sodium_malloc(KW_SECRET_MAX + 3);
    if (!buf) {
        rc = kw_err_set(err, KW_ENOMEM, "out of memory reading %s", path);
        goto fail;
    }
    size_t n = 0;
    ssize_t got;
    while (n < KW_SECRET_MAX + 3 && (got = read(fd, buf + n, KW_SECRET_MAX + 3 - n)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = kw_err_set(err, KW_EIO, "cannot read key file %s: %s", path, strerror(errno));
            break;
        }
        n += (size_t)got;
    }
    if (rc == 0) {
        char what[PATH_MAX + 16];
        snprintf(what, sizeof what, "key file %s", path);
        rc = kw_secret_from_text((const char *)buf, n, what, out, err);
    }
    sodium_free(buf);
fail:
    close(fd);
    return rc;
}

static int mkdirs(char *path, kw_err *err)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int r = mkdir(path, 0700);
        *p = '/';
        if (r != 0 && errno != EEXIST)
            return kw_err_set(err, KW_EIO, "cannot create directory for keys: %s", strerror(errno));
    }
    return 0;
}

/* Writes text (n bytes and a line break) to a new 0600 file next to path,
 * synced, and names it in tmp. The caller links or renames it into place. */
static int write_temp(const char *path, const uint8_t *text, size_t n, char tmp[PATH_MAX + 16], kw_err *err)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir ||
        snprintf(tmp, PATH_MAX + 16, "%s.XXXXXX", path) >= PATH_MAX + 16)
        return kw_err_set(err, KW_EINVAL, "key file path is too long");
    int rc = mkdirs(dir, err);
    if (rc)
        return rc;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return kw_err_set(err, KW_EIO, "cannot create key file next to %s: %s", path, strerror(errno));
    int ok = fchmod(fd, 0600) == 0 && write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 &&
             fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        rc = kw_err_set(err, KW_EIO, "cannot write key file %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

/* Makes a new name in path's directory durable. */
static void sync_dir(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
}

int kw_secret_generate_file(const char *path, int *created, kw_err *err)
{
    char tmp[PATH_MAX + 16], line[65];
    uint8_t raw[32];
    *created = 0;
    if (access(path, F_OK) == 0)
        return 0;
    if (sodium_init() < 0)
        return kw_err_set(err, KW_ECRYPTO, "libsodium failed to initialise");
    randombytes_buf(raw, sizeof raw);
    kw_hex_encode(raw, sizeof raw, line);
    int rc = write_temp(path, (const uint8_t *)line, 64, tmp, err);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(line, sizeof line);
    if (rc)
        return rc;
    /* Linked into place: another process never sees a half-written key, and
     * an existing key is never replaced (the first writer wins). */
    if (link(tmp, path) == 0) {
        *created = 1;
        sync_dir(path);
    } else if (errno != EEXIST) {
        rc = kw_err_set(err, KW_EIO, "cannot create key file %s: %s", path, strerror(errno));
    }
    unlink(tmp);
    return rc;
}

int kw_secret_install_file(const char *path, const kw_secret *s, kw_err *err)
{
    char tmp[PATH_MAX + 16];
    int rc = write_temp(path, s->bytes, s->len, tmp, err);
    if (rc)
        return rc;
    if (rename(tmp, path) != 0) {
        rc = kw_err_set(err, KW_EIO, "cannot replace key file %s: %s", path, strerror(errno));
        unlink(tmp);
        return rc;
    }
    sync_dir(path);
    return 0;
}

/* The devnet fallback: KALEWX_DATA_DIR/NAME, generated when absent. */
static int load_generated(const kw_config *cfg, const char *name, const char *what, bool may_generate,
                          kw_secret *out, kw_err *err)
{
    char path[PATH_MAX];
    int created = 0;
    if (snprintf(path, sizeof path, "%s/%s", kw_config_str(cfg, KW_CFG_KALEWX_DATA_DIR), name) >= (int)sizeof path)
        return kw_err_set(err, KW_EINVAL, "KALEWX_DATA_DIR is too long");
    if (!may_generate && access(path, F_OK) != 0)
        return kw_err_set(err, KW_ENOTFOUND, "%s is missing", path);
    int rc = kw_secret_generate_file(path, &created, err);
    if (rc == 0)
        rc = kw_secret_read_file(path, out, err);
    if (rc)
        return rc;
    out->origin = created ? KW_SECRET_GENERATED : KW_SECRET_FROM_DATA_DIR;
    if (created)
        KW_LOG(KW_LOG_WARN, "generated a new devnet secret; back the file up, it cannot be recovered",
               KW_LS("secret", what), KW_LS("path", path));
    return 0;
}

int kw_secret_load(const kw_config *cfg, kw_secret_kind kind, bool may_generate, kw_secret *out, kw_err *err)
{
    int devnet = strcmp(kw_config_str(cfg, KW_CFG_KALEWX_CHAIN), "devnet") == 0;
    const char *chain = kw_config_str(cfg, KW_CFG_KALEWX_CHAIN);
    int rc;
    out->bytes = NULL;
    out->len = 0;
    if (kind == KW_SECRET_MASTER) {
        const char *text = kw_config_str(cfg, KW_CFG_KALEWX_MASTER_KEY);
        const char *file = kw_config_str(cfg, KW_CFG_KALEWX_MASTER_KEY_FILE);
        if (*text && *file)
            return kw_err_set(err, KW_EINVAL, "set KALEWX_MASTER_KEY or KALEWX_MASTER_KEY_FILE, not both");
        if (*text) {
            rc = kw_secret_from_text(text, strlen(text), "KALEWX_MASTER_KEY", out, err);
            out->origin = KW_SECRET_FROM_SETTING;
            return rc;
        }
        if (*file) {
            rc = kw_secret_read_file(file, out, err);
            out->origin = KW_SECRET_FROM_FILE;
            return rc;
        }
        if (!devnet)
            return kw_err_set(err, KW_EINVAL,
                              "KALEWX_MASTER_KEY or KALEWX_MASTER_KEY_FILE is required with KALEWX_CHAIN=%s", chain);
        return load_generated(cfg, "master.key", "master key", may_generate, out, err);
    }
    const char *text = kw_config_str(cfg, KW_CFG_JWT_SECRET);
    if (*text) {
        rc = kw_secret_from_text(text, strlen(text), "JWT_SECRET", out, err);
        out->origin = KW_SECRET_FROM_SETTING;
        return rc;
    }
    if (!devnet)
        return kw_err_set(err, KW_EINVAL, "JWT_SECRET is required with KALEWX_CHAIN=%s", chain);
    return load_generated(cfg, "jwt.key", "token secret", may_generate, out, err);
}
