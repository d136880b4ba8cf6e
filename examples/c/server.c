/*
 * The kavach demo over a small HTTP/1.1 server in C: the page from examples/web at /, every
 * passkey endpoint under /auth through kavach_handle, and the demo-only POST /demo/signup through
 * kavach_create_user + kavach_create_session. One thread per connection, keep-alive,
 * Content-Length bodies; one kavach_t shared by every thread. Each request's client key (for the
 * optional rateLimit, off in this demo) is the connection's peer address.
 *
 * Environment (tests/e2e/README.md): PORT (3000), DATABASE_URL (default file:kavach.db in the
 * working directory), KAVACH_SECRET (a fixed demo secret otherwise, with a warning),
 * KAVACH_USER_VERIFICATION (preferred), KAVACH_ATTESTATION (none), KAVACH_WEB_DIR (../web from the working directory),
 * KAVACH_METRICS_TOKEN (when set, GET /metrics wants "Authorization: Bearer <token>").
 * Security events (kavach_set_event_callback) and kavach's log lines (kavach_set_log_callback) go
 * to stdout, one JSON object a line: an event has "type", a log line "kind".
 * Just enough HTTP for a local demo: put a real server in front of it for anything else.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "kavach.h"

#define MAX_HEAD 16384
#define MAX_HEADERS 100
#define DEMO_SECRET "kavach-demo-secret-not-for-production-use!!"
#define JSON_TYPE "application/json; charset=utf-8"

static kavach_t *kavach;
static char origin[64];
static const char *web_dir;

/* ---- small string helpers ---- */

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *data, size_t len) {
    if (b->len + len + 1 > b->cap) {
        size_t cap = (b->len + len + 1) * 2;
        char *grown = realloc(b->data, cap);
        if (grown == NULL) abort();
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

/* Appends s as a JSON string literal. */
static void buf_json_string(struct buf *b, const char *s) {
    buf_str(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c, esc[2] = '\0';
            buf_str(b, esc);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            buf_str(b, esc);
        } else {
            buf_add(b, s, 1);
        }
    }
    buf_str(b, "\"");
}

static void put_utf8(struct buf *b, unsigned long cp) {
    char out[4];
    size_t n;
    if (cp < 0x80) out[0] = (char)cp, n = 1;
    else if (cp < 0x800) out[0] = (char)(0xC0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        out[0] = (char)(0xE0 | (cp >> 12)), out[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        out[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        out[0] = (char)(0xF0 | (cp >> 18)), out[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), out[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    buf_add(b, out, n);
}

static const char *skip_space(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return p;
}

/* Parses the JSON string literal at p into out (decoded, NUL-terminated). Returns the position
 * after it, or NULL if it is not a well-formed string. */
static const char *json_string(const char *p, struct buf *out) {
    if (*p != '"') return NULL;
    for (p++; *p && *p != '"'; p++) {
        if ((unsigned char)*p < 0x20) return NULL;
        if (*p != '\\') {
            buf_add(out, p, 1);
            continue;
        }
        p++;
        switch (*p) {
        case '"': case '\\': case '/': buf_add(out, p, 1); break;
        case 'b': buf_str(out, "\b"); break;
        case 'f': buf_str(out, "\f"); break;
        case 'n': buf_str(out, "\n"); break;
        case 'r': buf_str(out, "\r"); break;
        case 't': buf_str(out, "\t"); break;
        case 'u': {
            char hex[5] = {0};
            unsigned long cp;
            if (strlen(p + 1) < 4) return NULL;
            memcpy(hex, p + 1, 4);
            cp = strtoul(hex, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u' && strlen(p + 3) >= 4) {
                unsigned long low;
                memcpy(hex, p + 3, 4);
                low = strtoul(hex, NULL, 16);
                if (low >= 0xDC00 && low < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00), p += 6;
            }
            put_utf8(out, cp);
            break;
        }
        default: return NULL;
        }
    }
    if (out->data == NULL) buf_add(out, "", 0);
    return *p == '"' ? p + 1 : NULL;
}

/* The string value of a top-level "key" of a flat JSON object: 1 found, 0 absent or not a string. */
static int json_field(const char *json, const char *key, struct buf *out) {
    char pattern[64];
    const char *p = json;
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    while ((p = strstr(p, pattern)) != NULL) {
        const char *after = skip_space(p + strlen(pattern));
        if (*after == ':') return json_string(skip_space(after + 1), out) != NULL;
        p++;
    }
    return 0;
}

/* ---- responses ---- */

struct response {
    int status;
    struct buf headers; /* "name: value\r\n" lines */
    const char *body;
    size_t body_len;
    void (*release)(struct response *);
    void *owned;
    size_t owned_len;
};

static void add_header(struct response *r, const char *name, const char *value) {
    /* Header text comes from kavach or from this program; never send a line break. */
    if (strpbrk(name, "\r\n") || strpbrk(value, "\r\n")) return;
    buf_str(&r->headers, name);
    buf_str(&r->headers, ": ");
    buf_str(&r->headers, value);
    buf_str(&r->headers, "\r\n");
}

static void release_kavach(struct response *r) { kavach_bytes_free(r->owned, r->owned_len); }
static void release_malloc(struct response *r) { free(r->owned); }
static void release_kavach_string(struct response *r) { kavach_string_free(r->owned); }

/* The core's error shape {"error", "code"} for this program's own errors. */
static void error_response(struct response *r, int status, const char *code, const char *message) {
    struct buf body = {0};
    buf_str(&body, "{\"error\":");
    buf_json_string(&body, message);
    buf_str(&body, ",\"code\":\"");
    buf_str(&body, code);
    buf_str(&body, "\"}");
    r->status = status;
    add_header(r, "content-type", JSON_TYPE);
    add_header(r, "cache-control", "no-store");
    r->body = body.data, r->body_len = body.len, r->owned = body.data, r->release = release_malloc;
}

/* An error JSON from kavach ({"error","code","status"}) as the response. */
static void kavach_error_response(struct response *r, const char *error_json) {
    struct buf code = {0}, message = {0};
    const char *status = strstr(error_json, "\"status\":");
    json_field(error_json, "code", &code);
    json_field(error_json, "error", &message);
    error_response(r, status ? atoi(status + 9) : 500, code.data ? code.data : "INTERNAL",
                   message.data ? message.data : "internal error");
    free(code.data);
    free(message.data);
}

/* ---- routes ---- */

struct request {
    const char *client; /* the peer's address: kavach's client key for its optional rate limit */
    char method[16];
    char path[4096];
    int header_count;
    const char *names[MAX_HEADERS], *values[MAX_HEADERS];
    char *body;
    size_t body_len;
};

static const char *header(const struct request *req, const char *name) {
    int i;
    for (i = 0; i < req->header_count; i++)
        if (strcasecmp(req->names[i], name) == 0) return req->values[i];
    return NULL;
}

/* Everything under /auth: kavach answers; its headers come back as JSON [[name, value], ...]. */
static void auth_route(const struct request *req, struct response *r) {
    uint16_t status = 500;
    char *headers = NULL;
    uint8_t *body = NULL;
    size_t body_len = 0;
    const char *p;
    /* Every result fills the response (an error response for a failed call). */
    kavach_handle(kavach, req->method, req->path, req->client, req->names, req->values, (size_t)req->header_count,
                  (const uint8_t *)req->body, req->body_len, &status, &headers, &body, &body_len);
    r->status = status;
    for (p = headers ? strchr(headers, '[') : NULL; p != NULL;) {
        struct buf name = {0}, value = {0};
        const char *q = strchr(p + 1, '[');
        if (q == NULL) break;
        q = json_string(skip_space(q + 1), &name);
        if (q != NULL && *(q = skip_space(q)) == ',') q = json_string(skip_space(q + 1), &value);
        if (q != NULL && name.data && value.data) add_header(r, name.data, value.data);
        free(name.data);
        free(value.data);
        p = q ? strchr(q, ']') : NULL;
    }
    kavach_string_free(headers);
    r->body = (const char *)body, r->body_len = body_len;
    r->owned = body, r->owned_len = body_len, r->release = release_kavach;
}

/* GET /metrics: kavach_metrics for a Prometheus scraper. It tells how sign-in is used, so in
 * production keep it off the public internet: serve it on an internal port or a path your proxy
 * does not forward, or require a token as here (KAVACH_METRICS_TOKEN; this demo only listens on
 * loopback). */
static void metrics_route(const struct request *req, struct response *r) {
    const char *token = getenv("KAVACH_METRICS_TOKEN"), *given = header(req, "authorization");
    char *text = NULL;
    if (strcmp(req->method, "GET") != 0) { error_response(r, 405, "METHOD_NOT_ALLOWED", "use GET"); return; }
    if (token && *token) {
        /* Compare in time independent of where the first difference is. */
        size_t want = strlen(token), i;
        unsigned diff = given == NULL || strncmp(given, "Bearer ", 7) != 0 || strlen(given + 7) != want;
        for (i = 0; !diff && i < want; i++) diff |= (unsigned)(given[7 + i] ^ token[i]);
        if (diff) { error_response(r, 401, "UNAUTHORIZED", "metrics want the bearer token"); return; }
    }
    if (kavach_metrics(kavach, &text) != KAVACH_OK) {
        kavach_error_response(r, text);
        kavach_string_free(text);
        return;
    }
    r->status = 200;
    add_header(r, "content-type", "text/plain; version=0.0.4; charset=utf-8");
    add_header(r, "cache-control", "no-store");
    /* kavach's string goes out as the body and is freed with kavach_string_free afterwards. */
    r->body = text, r->body_len = strlen(text), r->owned = text, r->release = release_kavach_string;
}

/* Demo only: create the user and sign them in, as a host's own sign-up would. */
static void signup_route(const struct request *req, struct response *r) {
    const char *request_origin = header(req, "origin");
    struct buf email = {0}, name = {0}, body = {0};
    char *user = NULL, *session = NULL, *id_start, *id_end, user_id[128];
    kavach_result result;

    if (strcmp(req->method, "POST") != 0) { error_response(r, 405, "METHOD_NOT_ALLOWED", "use POST"); return; }
    if (request_origin && strcmp(request_origin, origin) != 0)
        { error_response(r, 403, "FORBIDDEN_ORIGIN", "requests from this origin are not allowed"); return; }
    if (req->body_len > kavach_max_body_bytes())
        { error_response(r, 413, "PAYLOAD_TOO_LARGE", "request body is larger than 64 KiB"); return; }
    if (req->body == NULL || *skip_space(req->body) != '{')
        { error_response(r, 400, "INVALID_REQUEST", "body must be JSON: {email, name?}"); return; }
    if (!json_field(req->body, "email", &email))
        { error_response(r, 400, "INVALID_REQUEST", "email is required"); return; }
    json_field(req->body, "name", &name);

    result = kavach_create_user(kavach, email.data,
                                name.data && *skip_space(name.data) ? name.data : NULL, &user);
    if (result == KAVACH_OK) {
        id_start = strstr(user, "\"id\":\"");
        id_end = id_start ? strchr(id_start + 6, '"') : NULL;
        if (id_end == NULL || (size_t)(id_end - id_start - 6) >= sizeof user_id) {
            error_response(r, 500, "INTERNAL", "internal error");
        } else {
            memcpy(user_id, id_start + 6, (size_t)(id_end - id_start - 6));
            user_id[id_end - id_start - 6] = '\0';
            result = kavach_create_session(kavach, user_id, &session);
            if (result == KAVACH_OK) {
                struct buf set_cookie = {0};
                json_field(session, "setCookie", &set_cookie);
                buf_str(&body, "{\"user\":");
                buf_str(&body, user);
                buf_str(&body, "}");
                r->status = 200;
                add_header(r, "content-type", JSON_TYPE);
                add_header(r, "cache-control", "no-store");
                add_header(r, "set-cookie", set_cookie.data ? set_cookie.data : "");
                free(set_cookie.data);
                r->body = body.data, r->body_len = body.len, r->owned = body.data, r->release = release_malloc;
            } else {
                kavach_error_response(r, session);
            }
        }
    } else {
        kavach_error_response(r, user);
    }
    kavach_string_free(user);
    kavach_string_free(session);
    free(email.data);
    free(name.data);
}

static const char *content_type(const char *file) {
    const char *dot = strrchr(file, '.');
    if (dot == NULL) return "application/octet-stream";
    if (strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0 || strcmp(dot, ".mjs") == 0) return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0) return "text/css; charset=utf-8";
    if (strcmp(dot, ".json") == 0 || strcmp(dot, ".map") == 0) return "application/json; charset=utf-8";
    return "application/octet-stream";
}

/* The page and the vendored @simplewebauthn/browser ES module build. */
static void static_route(const struct request *req, const char *path, struct response *r) {
    char file[8192];
    FILE *f;
    struct buf body = {0};
    char chunk[16384];
    size_t n;
    const char *vendor = "/vendor/simplewebauthn/";

    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
        { error_response(r, 405, "METHOD_NOT_ALLOWED", "method not allowed"); return; }
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
        snprintf(file, sizeof file, "%s/index.html", web_dir);
    else if (strcmp(path, "/app.js") == 0 || strcmp(path, "/style.css") == 0)
        snprintf(file, sizeof file, "%s%s", web_dir, path);
    else if (strncmp(path, vendor, strlen(vendor)) == 0 && path[strlen(vendor)] != '\0' &&
             strstr(path, "/.") == NULL && strstr(path, "//") == NULL)
        /* No "..", no hidden files: every component after the prefix is plain. */
        snprintf(file, sizeof file, "%s/node_modules/@simplewebauthn/browser/esm/%s", web_dir, path + strlen(vendor));
    else
        { error_response(r, 404, "NOT_FOUND", "not found"); return; }
    f = fopen(file, "rb");
    if (f == NULL) { error_response(r, 404, "NOT_FOUND", "not found"); return; }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_add(&body, chunk, n);
    fclose(f);
    r->status = 200;
    add_header(r, "content-type", content_type(file));
    add_header(r, "cache-control", "no-cache");
    add_header(r, "x-content-type-options", "nosniff");
    add_header(r, "content-security-policy", "default-src 'self'; frame-ancestors 'none'");
    r->body = body.data ? body.data : "", r->body_len = body.len, r->owned = body.data, r->release = release_malloc;
}

static void route(const struct request *req, struct response *r) {
    char path[4096];
    snprintf(path, sizeof path, "%s", req->path);
    path[strcspn(path, "?#")] = '\0';
    /* basePath and below, and the well-known documents kavach serves at the site root (it answers
     * 404 for those it has no content for). */
    if (strcmp(path, "/auth") == 0 || strncmp(path, "/auth/", 6) == 0 || strncmp(path, "/.well-known/", 13) == 0)
        auth_route(req, r);
    else if (strcmp(path, "/demo/signup") == 0) signup_route(req, r);
    else if (strcmp(path, "/metrics") == 0) metrics_route(req, r);
    else static_route(req, path, r);
}

/* ---- HTTP/1.1 ---- */

static const char *reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

static int send_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0) return -1;
        data += n, len -= (size_t)n;
    }
    return 0;
}

static int write_response(int fd, struct response *r, int is_head, int close_after) {
    struct buf head = {0};
    char line[128];
    int rc;
    snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", r->status, reason(r->status));
    buf_str(&head, line);
    if (r->headers.data) buf_str(&head, r->headers.data);
    snprintf(line, sizeof line, "content-length: %zu\r\nconnection: %s\r\n\r\n", r->body_len,
             close_after ? "close" : "keep-alive");
    buf_str(&head, line);
    rc = send_all(fd, head.data, head.len);
    if (rc == 0 && !is_head && r->body_len) rc = send_all(fd, r->body, r->body_len);
    free(head.data);
    return rc;
}

/* Reads until the end of the head ("\r\n\r\n"); keeps what follows in `pending`. */
static long read_head(int fd, char *head, size_t *have) {
    for (;;) {
        char *end;
        ssize_t n;
        head[*have] = '\0';
        if ((end = strstr(head, "\r\n\r\n")) != NULL) return (long)(end - head) + 4;
        if (*have >= MAX_HEAD) return -2;
        n = recv(fd, head + *have, MAX_HEAD - *have, 0);
        if (n <= 0) return -1;
        *have += (size_t)n;
    }
}

/* One accepted connection: its socket and the peer's address as text. */
struct peer {
    int fd;
    char address[INET6_ADDRSTRLEN];
};

/* The peer's address as kavach's client key ("203.0.113.7", "2001:db8::1"); "" if unknown.
 * Behind a reverse proxy every peer is the proxy: pass the client address the proxy reports
 * instead (never a header the client itself can set). */
static void peer_address(const struct sockaddr_storage *addr, char *out, size_t size) {
    const void *ip = NULL;
    if (addr->ss_family == AF_INET) ip = &((const struct sockaddr_in *)addr)->sin_addr;
    else if (addr->ss_family == AF_INET6) ip = &((const struct sockaddr_in6 *)addr)->sin6_addr;
    if (ip == NULL || inet_ntop(addr->ss_family, ip, out, (socklen_t)size) == NULL) out[0] = '\0';
}

static void *connection(void *arg) {
    struct peer *peer = arg;
    int fd = peer->fd;
    char *head = malloc(MAX_HEAD + 1);
    size_t have = 0, limit = kavach_max_body_bytes() + 1;
    struct timeval timeout = {15, 0};
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (head != NULL) {
        struct request req;
        struct response r;
        char *line, *save = NULL, version[16] = "", *cl;
        long head_len = read_head(fd, head, &have), content_length = 0;
        int close_after, i;
        size_t take, got;

        memset(&req, 0, sizeof req);
        memset(&r, 0, sizeof r);
        req.client = peer->address[0] ? peer->address : NULL;
        if (head_len == -1) break;
        if (head_len == -2) {
            r.status = 431;
            write_response(fd, &r, 0, 1);
            break;
        }
        head[head_len - 2] = '\0'; /* the head's lines, each ending in "\r\n" */
        line = strtok_r(head, "\r\n", &save);
        if (line == NULL || sscanf(line, "%15s %4095s %15s", req.method, req.path, version) != 3 ||
            strncmp(version, "HTTP/1.", 7) != 0 || req.path[0] != '/') {
            r.status = 400;
            write_response(fd, &r, 0, 1);
            break;
        }
        while ((line = strtok_r(NULL, "\r\n", &save)) != NULL && req.header_count < MAX_HEADERS) {
            char *colon = strchr(line, ':'), *value;
            if (colon == NULL) continue;
            *colon = '\0';
            for (value = colon + 1; *value == ' ' || *value == '\t'; value++) {}
            for (i = (int)strlen(value); i > 0 && (value[i - 1] == ' ' || value[i - 1] == '\t'); i--) value[i - 1] = '\0';
            req.names[req.header_count] = line;
            req.values[req.header_count++] = value;
        }
        if (header(&req, "transfer-encoding")) {
            error_response(&r, 411, "INVALID_REQUEST", "send a Content-Length");
            write_response(fd, &r, 0, 1);
            r.release(&r);
            free(r.headers.data);
            break;
        }
        cl = (char *)header(&req, "content-length");
        if (cl) content_length = strtol(cl, NULL, 10);
        if (content_length < 0) content_length = 0;
        /* Read at most 64 KiB + 1 bytes: kavach sees an oversized body and answers 413. */
        take = (size_t)content_length < limit ? (size_t)content_length : limit;
        req.body = malloc(take + 1);
        if (req.body == NULL) break;
        got = have - (size_t)head_len < take ? have - (size_t)head_len : take;
        memcpy(req.body, head + head_len, got);
        while (got < take) {
            ssize_t n = recv(fd, req.body + got, take - got, 0);
            if (n <= 0) break;
            got += (size_t)n;
        }
        req.body[got] = '\0';
        req.body_len = got;
        close_after = (size_t)content_length > take || got < take || strcmp(version, "HTTP/1.0") == 0 ||
                      (header(&req, "connection") && strcasecmp(header(&req, "connection"), "close") == 0);

        route(&req, &r);
        i = write_response(fd, &r, strcmp(req.method, "HEAD") == 0, close_after);
        if (r.release) r.release(&r);
        free(r.headers.data);
        free(req.body);
        if (i != 0 || close_after) break;
        /* Keep what was read past this request (a pipelined next one). */
        {
            size_t used = (size_t)head_len + (have - (size_t)head_len < take ? have - (size_t)head_len : take);
            memmove(head, head + used, have - used);
            have -= used;
        }
    }
    free(head);
    close(fd);
    free(peer);
    return NULL;
}

/* Whether the JSON object text names a member "key" (either spelling): the demo's own option is
 * then left out, so KAVACH_PASSKEY_OPTIONS_JSON's value wins (run.sh checked it is an object). */
static int names_member(const char *json, const char *camel, const char *snake) {
    char pattern[64];
    const char *names[2] = {camel, snake};
    for (int i = 0; i < 2; i++) {
        const char *p = json;
        snprintf(pattern, sizeof pattern, "\"%s\"", names[i]);
        while (json != NULL && (p = strstr(p, pattern)) != NULL) {
            if (*skip_space(p + strlen(pattern)) == ':') return 1;
            p++;
        }
    }
    return 0;
}

/* The demo's passkey option "camel" (snake_case in the JSON it writes) with a string value,
 * unless the extra options name it. */
static void passkey_option(struct buf *b, const char *extra, const char *camel, const char *snake,
                           const char *value) {
    if (names_member(extra, camel, snake)) return;
    buf_str(b, ",\"");
    buf_str(b, snake);
    buf_str(b, "\":");
    buf_json_string(b, value);
}

static void config_json(struct buf *b, const char *database_url, const char *secret, const char *uv,
                        const char *attestation, const char *extra) {
    const char *provider = strncmp(database_url, "postgres://", 11) == 0 || strncmp(database_url, "postgresql://", 13) == 0
                               ? "postgres" : "sqlite";
    buf_str(b, "{\"database\":{\"provider\":\"");
    buf_str(b, provider);
    buf_str(b, "\",\"url\":");
    buf_json_string(b, database_url);
    buf_str(b, "},\"secret\":");
    buf_json_string(b, secret);
    buf_str(b, ",\"base_url\":");
    buf_json_string(b, origin);
    buf_str(b, ",\"plugins\":[{\"id\":\"passkey\"");
    passkey_option(b, extra, "rpName", "rp_name", "Kavach demo");
    passkey_option(b, extra, "rpId", "rp_id", "localhost");
    if (!names_member(extra, "origin", "origin")) {
        buf_str(b, ",\"origin\":[");
        buf_json_string(b, origin);
        buf_str(b, "]");
    }
    passkey_option(b, extra, "userVerification", "user_verification", uv);
    passkey_option(b, extra, "attestation", "attestation", attestation);
    if (extra != NULL) {
        /* The object's members, after the demo's own: {"a":1} adds ,"a":1. */
        const char *open = strchr(extra, '{'), *close = strrchr(extra, '}');
        const char *first = open == NULL ? NULL : skip_space(open + 1);
        if (first != NULL && close != NULL && first < close) {
            buf_str(b, ",");
            buf_add(b, first, (size_t)(close - first));
        }
    }
    buf_str(b, "}]}");
}

static const char *env(const char *name, const char *fallback) {
    const char *value = getenv(name);
    return value && *value ? value : fallback;
}

/*
 * Listens on both loopback addresses, 127.0.0.1 and ::1 (skipped on a machine without IPv6): a
 * browser opening http://localhost:PORT may try either, so a port that another server holds on
 * just one of them must stop the demo rather than send some requests elsewhere. Returns the
 * number of listeners (0 after printing why it failed).
 */
static int listen_loopback(int port, int listeners[2]) {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    const struct {
        const char *host;
        int family;
        struct sockaddr *addr;
        socklen_t len;
    } hosts[2] = {{"127.0.0.1", AF_INET, (struct sockaddr *)&v4, sizeof v4},
                  {"::1", AF_INET6, (struct sockaddr *)&v6, sizeof v6}};
    int count = 0, i, one = 1;

    memset(&v4, 0, sizeof v4);
    v4.sin_family = AF_INET;
    v4.sin_port = htons((uint16_t)port);
    v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    memset(&v6, 0, sizeof v6);
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons((uint16_t)port);
    v6.sin6_addr = in6addr_loopback;

    for (i = 0; i < 2; i++) {
        int fd = socket(hosts[i].family, SOCK_STREAM, 0), err;
        if (fd >= 0) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (hosts[i].family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
            if (bind(fd, hosts[i].addr, hosts[i].len) == 0 && listen(fd, 128) == 0) {
                listeners[count++] = fd;
                continue;
            }
        }
        err = errno;
        if (fd >= 0) close(fd);
        if (hosts[i].family == AF_INET6 && (err == EAFNOSUPPORT || err == EADDRNOTAVAIL)) continue; /* no IPv6 */
        fprintf(stderr,
                "kavach demo: port %d on %s %s%s%s: stop the other server or choose another port, e.g. PORT=%d\n",
                port, hosts[i].host, err == EADDRINUSE ? "is already in use" : "cannot be opened (",
                err == EADDRINUSE ? "" : strerror(err), err == EADDRINUSE ? "" : ")", port + 1);
        while (count > 0) close(listeners[--count]);
        return 0;
    }
    return count;
}

/* Events and log lines reach these on kavach's own threads: one line each to stdout, under
 * stdout's lock (stdio locks each call). The JSON is valid only during the call. */
static void print_json_line(void *user_data, const char *json, size_t len) {
    (void)user_data;
    flockfile(stdout);
    fwrite(json, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    funlockfile(stdout);
}

int main(void) {
    const char *port_text = env("PORT", "3000");
    char *end = NULL;
    long port = strtol(port_text, &end, 10);
    int listeners[2], count;
    const char *secret = getenv("KAVACH_SECRET");
    struct buf config = {0};
    char *error = NULL;
    struct pollfd waiting[2];

    if (end == port_text || *end != '\0' || port <= 0 || port > 65535) {
        fprintf(stderr, "kavach demo: PORT must be a port number (1-65535), not \"%s\"\n", port_text);
        return 1;
    }
    snprintf(origin, sizeof origin, "http://localhost:%ld", port);
    web_dir = env("KAVACH_WEB_DIR", "../web");
    if (secret == NULL || *secret == '\0') {
        fprintf(stderr, "warning: KAVACH_SECRET is not set; using a fixed demo secret (never do this in production)\n");
        secret = DEMO_SECRET;
    }
    const char *extra = getenv("KAVACH_PASSKEY_OPTIONS_JSON");
    if (extra != NULL && *skip_space(extra) == '\0') extra = NULL;
    if (extra != NULL && *skip_space(extra) != '{') {
        fprintf(stderr, "kavach demo: KAVACH_PASSKEY_OPTIONS_JSON must be a JSON object of passkey options\n");
        return 1;
    }
    kavach_set_log_callback(print_json_line, NULL); /* process-wide, before the instance */
    config_json(&config, env("DATABASE_URL", "file:kavach.db"), secret, env("KAVACH_USER_VERIFICATION", "preferred"),
                env("KAVACH_ATTESTATION", "none"), extra);
    if (kavach_new(config.data, &kavach, &error) != KAVACH_OK) {
        fprintf(stderr, "kavach-c-server: %s\n", error);
        kavach_string_free(error);
        return 1;
    }
    free(config.data);
    if (kavach_set_event_callback(kavach, print_json_line, NULL) != KAVACH_OK) {
        fprintf(stderr, "kavach-c-server: cannot set the event callback\n");
        kavach_free(kavach);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);

    /* rpId localhost needs the page at http://localhost:PORT (browsers refuse IP addresses). */
    count = listen_loopback((int)port, listeners);
    if (count == 0) {
        kavach_free(kavach);
        return 1;
    }
    printf("kavach demo (C) on %s\n", origin);
    fflush(stdout);
    for (;;) {
        int i;
        for (i = 0; i < count; i++) {
            waiting[i].fd = listeners[i];
            waiting[i].events = POLLIN;
            waiting[i].revents = 0;
        }
        if (poll(waiting, (nfds_t)count, -1) < 0) continue;
        for (i = 0; i < count; i++) {
            pthread_t thread;
            struct sockaddr_storage peer_addr;
            socklen_t peer_len = sizeof peer_addr;
            struct peer *peer;
            int fd;
            if (!(waiting[i].revents & POLLIN)) continue;
            fd = accept(listeners[i], (struct sockaddr *)&peer_addr, &peer_len);
            if (fd < 0) continue;
            peer = malloc(sizeof *peer);
            if (peer == NULL) {
                close(fd);
                continue;
            }
            peer->fd = fd;
            peer_address(&peer_addr, peer->address, sizeof peer->address);
            if (pthread_create(&thread, NULL, connection, peer) != 0) {
                close(fd);
                free(peer);
                continue;
            }
            pthread_detach(thread);
        }
    }
}
