/*
 * Reading inputs from http:// and https:// URLs (libcurl), so that every
 * command that reads a profile or timeline takes a URL in place of a file.
 */
#ifndef HEARTH_RENDER_FETCH_H
#define HEARTH_RENDER_FETCH_H

#include <stdbool.h>
#include <stddef.h>

/* Whether path names an http:// or https:// URL. */
bool fetch_is_url(const char *path);

/*
 * Downloads url (redirects followed, http and https only; a `seconds=N`
 * query parameter extends the timeout by N seconds; HEARTH_HTTP_TOKEN, when
 * set, is sent as a bearer token) and returns a read-only descriptor on the
 * whole body, positioned at its start. At most max_bytes are kept. Returns
 * the descriptor, or a negative hearth error code with a message naming
 * the HTTP status and the first line of the server's reply, curl's reason,
 * or the limit.
 */
int fetch_url(const char *url, size_t max_bytes);

/*
 * The name an input is shown by in what hearth writes: a URL without its
 * "user:password@" (curl sends those as Basic auth, and a report is made
 * to be attached to a ticket), any other path as it is. malloc'd; NULL
 * when out of memory.
 */
char *fetch_shown_name(const char *path);

/*
 * name, a pointer into path (its last part, say), moved past the
 * "user:password@" of path's URL when it points into the URL's host part
 * ("http://u:p@host:6060" has no path: its last part is the host).
 */
const char *fetch_skip_userinfo(const char *path, const char *name);

/* The HTTP status of the calling thread's last fetch_url (0 when no reply
 * came), so a caller can tell "not served" (404) from other failures. */
long fetch_last_status(void);

#endif
