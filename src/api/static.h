/*
 * static — the dashboard's files (SPEC §13), served from memory.
 *
 * kw_static_load reads a directory once, at start: regular files only (no
 * symbolic links, no names starting with '.'), at most KW_STATIC_DEPTH
 * levels deep, each at most KW_STATIC_FILE_MAX bytes and KW_STATIC_TOTAL_MAX
 * in all. Requests are then answered from memory, so no request can reach
 * the file system: `GET /` serves index.html, `GET /static/<path>` the file
 * <path> of the directory. Replies carry the content type of the extension,
 * a strong ETag (SHA-256 of the content), `304 Not Modified` for a matching
 * If-None-Match, and Cache-Control (`no-cache` for HTML so a new release is
 * picked up, an hour for other files).
 *
 * Ownership: the kw_static owns the contents and must outlive the server.
 * Thread-safety: read-only after loading.
 */
#ifndef KW_API_STATIC_H
#define KW_API_STATIC_H

#include <stddef.h>

#include "api/http.h"
#include "core/err.h"

#define KW_STATIC_DEPTH 4
#define KW_STATIC_FILE_MAX (4 * 1024 * 1024)
#define KW_STATIC_TOTAL_MAX (32 * 1024 * 1024)

typedef struct kw_static kw_static;

/* The dashboard directory to use when none is configured: the copy that
 * `meson install` put beside the running executable when it exists (so an
 * installed or relocated tree finds its own files), else the source tree's
 * web/ that this binary was built from. Writes the path into out (n bytes)
 * and returns out. */
const char *kw_static_default_dir(char *out, size_t n);

/* Loads dir. A directory that does not exist gives an empty set (the API
 * runs without a dashboard); an unreadable file or a limit exceeded is
 * KW_EIO / KW_ELIMIT with a message naming the file. */
int kw_static_load(const char *dir, kw_static **out, kw_err *err) KW_WUR;
void kw_static_free(kw_static *st);
size_t kw_static_count(const kw_static *st);

/* The Content-Type for a file name ("application/octet-stream" when unknown). */
const char *kw_static_content_type(const char *name);

/* Route handler for GET / and GET /static/{file...}; req->ctx is the kw_static. */
int kw_static_handler(const kw_http_req *req, kw_http_res *res);

#endif
