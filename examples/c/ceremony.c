/*
 * A passkey register + sign-in, entirely through kavach_handle (the same routes a browser uses),
 * with a software authenticator producing real keys and real signatures: the Rust test
 * authenticator behind `cargo run --example soft-authenticator -p kavach-ffi`, spoken to over a
 * pipe, one JSON line each way. kavach verifies every signature through the C ABI.
 *
 * Usage: ceremony <path to soft-authenticator> [database url]     (see examples/c/README.md)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kavach.h"

#define ORIGIN "http://localhost:3000"
/* The client key a server passes to kavach_handle: the peer's address (rate limiting is off in
 * this program's config, so it only shows where the key goes). */
#define CLIENT "127.0.0.1"

struct response {
    uint16_t status;
    char *headers; /* JSON [[name, value], ...], from kavach */
    char *body;    /* NUL-terminated copy of the body */
};

static kavach_t *kavach;
static FILE *to_authenticator, *from_authenticator;

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "ceremony: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void response_free(struct response *r) {
    kavach_string_free(r->headers);
    free(r->body);
}

/* One request through the router. `cookie` may be NULL. */
static struct response request(const char *method, const char *path, const char *cookie, const char *body) {
    const char *names[3] = {"content-type", "origin", "cookie"};
    const char *values[3] = {"application/json", ORIGIN, cookie};
    struct response r = {0, NULL, NULL};
    uint8_t *out_body = NULL;
    size_t out_len = 0;
    kavach_result result = kavach_handle(kavach, method, path, CLIENT, names, values, cookie ? 3 : 2,
                                         (const uint8_t *)body, body ? strlen(body) : 0, &r.status,
                                         &r.headers, &out_body, &out_len);
    if (result != KAVACH_OK) fail("kavach_handle", kavach_result_name(result));
    r.body = malloc(out_len + 1);
    if (r.body == NULL) fail("out of memory", NULL);
    if (out_len) memcpy(r.body, out_body, out_len);
    r.body[out_len] = '\0';
    kavach_bytes_free(out_body, out_len);
    printf("  %s %s -> %u\n", method, path, (unsigned)r.status);
    return r;
}

static void expect_status(const struct response *r, uint16_t status) {
    if (r->status != status) {
        fprintf(stderr, "ceremony: expected %u, got %u: %s\n", (unsigned)status, (unsigned)r->status, r->body);
        exit(1);
    }
}

/* Asks the authenticator to answer options; returns a malloc'd response JSON line. */
static char *authenticator(const char *op, const char *options) {
    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    fprintf(to_authenticator, "{\"op\":\"%s\",\"origin\":\"%s\",\"options\":%s}\n", op, ORIGIN, options);
    fflush(to_authenticator);
    len = getline(&line, &size, from_authenticator);
    if (len <= 0) fail("the authenticator did not answer", NULL);
    if (strncmp(line, "{\"error\"", 8) == 0) fail("the authenticator refused", line);
    return line;
}

static void spawn_authenticator(const char *path) {
    int in[2], out[2];
    pid_t pid;
    if (pipe(in) != 0 || pipe(out) != 0) fail("pipe", NULL);
    pid = fork();
    if (pid < 0) fail("fork", NULL);
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execl(path, path, (char *)NULL);
        perror(path);
        _exit(127);
    }
    close(in[0]), close(out[1]);
    to_authenticator = fdopen(in[1], "w");
    from_authenticator = fdopen(out[0], "r");
    if (!to_authenticator || !from_authenticator) fail("fdopen", NULL);
}

/* "kavach_session=<token>" from a JSON value or header that contains it; malloc'd. */
static char *session_cookie(const char *text) {
    const char *start = strstr(text, "kavach_session="), *end;
    char *cookie;
    if (start == NULL) fail("no session cookie in", text);
    end = start + strcspn(start, ";\"");
    cookie = malloc((size_t)(end - start) + 1);
    if (cookie == NULL) fail("out of memory", NULL);
    memcpy(cookie, start, (size_t)(end - start));
    cookie[end - start] = '\0';
    return cookie;
}

int main(int argc, char **argv) {
    char config[1024], *error = NULL, *out = NULL, *cookie, *signed_in, *reply, *user_id, *end;
    struct response r;

    if (argc < 2) {
        fprintf(stderr, "usage: %s <soft-authenticator> [database url]\n", argv[0]);
        return 2;
    }
    snprintf(config, sizeof config,
             "{\"database\":{\"url\":\"%s\"},\"secret\":\"kavach-demo-secret-not-for-production-use!!\","
             "\"base_url\":\"" ORIGIN "\",\"plugins\":[{\"id\":\"passkey\",\"rp_name\":\"Kavach demo\","
             "\"rp_id\":\"localhost\"}]}",
             argc > 2 ? argv[2] : ":memory:");
    if (kavach_new(config, &kavach, &error) != KAVACH_OK) fail("kavach_new", error);
    spawn_authenticator(argv[1]);

    /* The host's own sign-up: a user and a session (docs/host-api.md). */
    if (kavach_create_user(kavach, "ada@example.com", "Ada", &out) != KAVACH_OK) fail("create user", out);
    user_id = strstr(out, "\"id\":\"");
    if (user_id == NULL) fail("no user id in", out);
    user_id += 6;
    end = strchr(user_id, '"');
    if (end == NULL) fail("no user id in", out);
    *end = '\0';
    {
        char *session = NULL;
        if (kavach_create_session(kavach, user_id, &session) != KAVACH_OK) fail("create session", session);
        cookie = session_cookie(session);
        kavach_string_free(session);
    }
    kavach_string_free(out);
    printf("signed up ada@example.com\n");

    /* Register a passkey. */
    r = request("POST", "/auth/passkey/register/options", cookie, "{\"name\":\"Soft key\"}");
    expect_status(&r, 200);
    reply = authenticator("register", r.body);
    response_free(&r);
    r = request("POST", "/auth/passkey/register/verify", cookie, reply);
    expect_status(&r, 200);
    if (strstr(r.body, "\"verified\":true") == NULL) fail("registration not verified", r.body);
    printf("registered: %s\n", r.body);
    response_free(&r);
    free(reply);

    /* Sign out, then sign in with the passkey by email. */
    r = request("POST", "/auth/sign-out", cookie, NULL);
    expect_status(&r, 200);
    response_free(&r);
    r = request("GET", "/auth/session", cookie, NULL);
    expect_status(&r, 401);
    response_free(&r);

    r = request("POST", "/auth/passkey/authenticate/options", NULL, "{\"email\":\"ada@example.com\"}");
    expect_status(&r, 200);
    reply = authenticator("authenticate", r.body);
    response_free(&r);
    r = request("POST", "/auth/passkey/authenticate/verify", NULL, reply);
    expect_status(&r, 200);
    signed_in = session_cookie(r.headers); /* from the Set-Cookie header */
    response_free(&r);

    /* The replayed assertion is refused: its challenge is used up. */
    r = request("POST", "/auth/passkey/authenticate/verify", NULL, reply);
    expect_status(&r, 400);
    if (strstr(r.body, "CHALLENGE_INVALID") == NULL) fail("replay not refused", r.body);
    response_free(&r);
    free(reply);

    r = request("GET", "/auth/session", signed_in, NULL);
    expect_status(&r, 200);
    printf("signed in: %s\n", r.body);
    response_free(&r);
    r = request("GET", "/auth/passkey/credentials", signed_in, NULL);
    expect_status(&r, 200);
    if (strstr(r.body, "\"lastUsedAt\":null") != NULL) fail("lastUsedAt not set", r.body);
    response_free(&r);

    free(cookie);
    free(signed_in);
    fclose(to_authenticator); /* the authenticator exits at end of input */
    fclose(from_authenticator);
    wait(NULL);
    kavach_free(kavach);
    printf("ceremony: register + sign-in through kavach_handle: OK\n");
    return 0;
}
