/*
 * sse — GET /api/v1/stream: the hub's events as Server-Sent Events (SPEC §10, §11).
 *
 * No thread per client: each stream is a libmicrohttpd callback response
 * whose reader copies the next frames from its hub subscriber. When there is
 * nothing to send the reader suspends the connection (from inside the
 * content-reader callback, the one place libmicrohttpd allows it, with one
 * response object per connection) and returns 0; the hub's wake() resumes
 * it from the publishing thread, and libmicrohttpd then calls the reader
 * again. A single heartbeat thread asks every stream for a keep-alive
 * comment every heartbeat_ms, which also lets the server notice clients
 * that went away while suspended.
 *
 * A stream starts with `retry: <ms>` and a comment; each event is sent as
 * `id:`, `event:` and `data:` lines. `Last-Event-ID` (header, or the
 * `lastEventId` query argument for clients that cannot set headers) resumes
 * after that id; authenticated callers also get their private events.
 * When the hub closes, streams end cleanly; when the replay hook fails, the
 * stream is cut so the client reconnects and resumes.
 *
 * Lifecycle: kw_sse_start, serve (the handler's route ctx is the kw_sse),
 * kw_sse_stop BEFORE kw_server_stop (it resumes every suspended stream),
 * then kw_sse_free after the server is gone. Thread-safety: the handler and
 * the readers run on the server's threads; start/stop/free are not reentrant.
 */
#ifndef KW_API_SSE_H
#define KW_API_SSE_H

#include "api/http.h"
#include "api/hub.h"
#include "core/err.h"

typedef struct kw_sse kw_sse;

/* Streams events of hub (which must outlive the kw_sse), with a keep-alive
 * every heartbeat_ms and `retry_ms` advertised to clients. */
int kw_sse_start(kw_hub *hub, int heartbeat_ms, int retry_ms, kw_sse **out) KW_WUR;
/* Ends every stream and stops the heartbeat thread. */
void kw_sse_stop(kw_sse *s);
void kw_sse_free(kw_sse *s);

/* The route handler (req->ctx must be the kw_sse). */
int kw_sse_handler(const kw_http_req *req, kw_http_res *res);

#endif
