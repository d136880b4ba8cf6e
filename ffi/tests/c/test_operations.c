/*
 * Operating kavach through the C ABI (DESIGN §10): the event callback (events in order, after a
 * real register + sign-in with the software authenticator's real signatures), metrics counting
 * the requests made, the log callback receiving a refusal, users.* for admin tools and delete,
 * activity paging, a slow callback that neither slows requests nor loses events at kavach_free.
 * Run by ffi/scripts/test.sh under AddressSanitizer + UBSan:
 *
 *   test_operations <soft-authenticator> <database directory>
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kavach.h"

#define ORIGIN "http://localhost:3000"
#define CLIENT "203.0.113.7"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                 \
    } while (0)

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "test_operations: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* What a callback received: the texts, appended under a lock (callbacks run on kavach's thread). */
struct received {
    pthread_mutex_t lock;
    char text[65536];
    size_t len;
    int count;
    int calls_on_main;
};

static pthread_t main_thread;

static void append(struct received *into, const char *json, size_t len) {
    pthread_mutex_lock(&into->lock);
    if (pthread_equal(pthread_self(), main_thread)) into->calls_on_main++;
    if (strlen(json) != len) into->calls_on_main += 1000; /* len is the JSON length without the NUL */
    if (into->len + len + 2 < sizeof into->text) {
        memcpy(into->text + into->len, json, len);
        into->len += len;
        into->text[into->len++] = '\n';
        into->text[into->len] = '\0';
    }
    into->count++;
    pthread_mutex_unlock(&into->lock);
}

static struct received events = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0, 0};
static struct received logs = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0, 0};

static void on_event(void *user_data, const char *json, size_t len) { append(user_data, json, len); }
static void on_log(void *user_data, const char *json, size_t len) { append(user_data, json, len); }

static kavach_t *kavach;
static FILE *to_authenticator, *from_authenticator;

struct response {
    uint16_t status;
    char *headers;
    char *body;
};

static void response_free(struct response *r) {
    kavach_string_free(r->headers);
    free(r->body);
}

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
    return r;
}

static void expect_status(const struct response *r, uint16_t status) {
    if (r->status != status) {
        fprintf(stderr, "expected %u, got %u: %s\n", (unsigned)status, (unsigned)r->status, r->body);
        exit(1);
    }
}

static char *authenticator(const char *op, const char *options) {
    char *line = NULL;
    size_t size = 0;
    fprintf(to_authenticator, "{\"op\":\"%s\",\"origin\":\"%s\",\"options\":%s}\n", op, ORIGIN, options);
    fflush(to_authenticator);
    if (getline(&line, &size, from_authenticator) <= 0) fail("the authenticator did not answer", NULL);
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
        _exit(127);
    }
    close(in[0]), close(out[1]);
    to_authenticator = fdopen(in[1], "w");
    from_authenticator = fdopen(out[0], "r");
    if (!to_authenticator || !from_authenticator) fail("fdopen", NULL);
}

/* A malloc'd copy of the string value of "key" in json (the first one), or NULL. */
static char *string_field(const char *json, const char *key) {
    char pattern[64];
    const char *start, *end;
    char *value;
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    start = strstr(json, pattern);
    if (start == NULL) return NULL;
    start += strlen(pattern);
    end = strchr(start, '"');
    if (end == NULL) return NULL;
    value = malloc((size_t)(end - start) + 1);
    if (value == NULL) fail("out of memory", NULL);
    memcpy(value, start, (size_t)(end - start));
    value[end - start] = '\0';
    return value;
}

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

/* How many times needle occurs in text. */
static int occurrences(const char *text, const char *needle) {
    int n = 0;
    for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle)) n++;
    return n;
}

/* Whether the event types appear in text in this order (each "type":"<t>" after the last). */
static int in_order(const char *text, const char *const *types, size_t count) {
    const char *at = text;
    char pattern[64];
    for (size_t i = 0; i < count; i++) {
        snprintf(pattern, sizeof pattern, "\"type\":\"%s\"", types[i]);
        at = strstr(at, pattern);
        if (at == NULL) {
            fprintf(stderr, "event %s missing (or out of order) in:\n%s", types[i], text);
            return 0;
        }
        at += strlen(pattern);
    }
    return 1;
}

/* The value of the metric line that starts with `series ` (name{labels}), or -1. */
static double metric(const char *text, const char *series) {
    size_t len = strlen(series);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, series, len) == 0 && line[len] == ' ') return strtod(line + len + 1, NULL);
    }
    return -1;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int slow_calls = 0;
static pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;

/* A callback slower than the requests: it must never slow them. */
static void slow_event(void *user_data, const char *json, size_t len) {
    struct timespec pause = {0, 400 * 1000 * 1000};
    (void)user_data, (void)json, (void)len;
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&slow_lock);
    slow_calls++;
    pthread_mutex_unlock(&slow_lock);
}

/* Three sign-ups behind a callback that takes 400 ms an event: they do not wait for it, and
 * kavach_free still delivers every event before it returns. */
static void test_slow_callback(const char *dir) {
    char config[1024], *error = NULL, *out = NULL;
    kavach_t *slow = NULL;
    double started, elapsed;
    snprintf(config, sizeof config,
             "{\"database\":{\"url\":\"file:%s/slow.db\"},\"secret\":\"kavach-test-secret-not-for-production-use!!\","
             "\"base_url\":\"" ORIGIN "\",\"plugins\":[{\"id\":\"passkey\",\"rp_name\":\"Test\",\"rp_id\":\"localhost\"}]}",
             dir);
    if (kavach_new(config, &slow, &error) != KAVACH_OK) fail("kavach_new", error);
    CHECK(kavach_set_event_callback(slow, slow_event, NULL) == KAVACH_OK);
    started = now_seconds();
    CHECK(kavach_create_user(slow, "one@example.com", NULL, &out) == KAVACH_OK);
    kavach_string_free(out);
    CHECK(kavach_create_user(slow, "two@example.com", NULL, &out) == KAVACH_OK);
    kavach_string_free(out);
    CHECK(kavach_create_user(slow, "three@example.com", NULL, &out) == KAVACH_OK);
    kavach_string_free(out);
    elapsed = now_seconds() - started;
    CHECK(elapsed < 0.35);
    if (elapsed >= 0.35) fprintf(stderr, "three sign-ups took %.3f s behind a slow callback\n", elapsed);
    kavach_free(slow); /* delivers the three pending events first */
    CHECK(slow_calls == 3);
}

int main(int argc, char **argv) {
    char config[1024], *error = NULL, *out = NULL, *user_id, *cookie, *signed_in, *reply, *credential_id;
    struct response r;

    if (argc < 3) {
        fprintf(stderr, "usage: %s <soft-authenticator> <database directory>\n", argv[0]);
        return 2;
    }
    main_thread = pthread_self();

    /* The log callback is process-wide: set before any instance. */
    CHECK(kavach_set_log_callback(on_log, &logs) == KAVACH_OK);

    snprintf(config, sizeof config,
             "{\"database\":{\"url\":\"file:%s/operations.db\"},\"secret\":\"kavach-test-secret-not-for-production-use!!\","
             "\"base_url\":\"" ORIGIN "\",\"plugins\":[{\"id\":\"passkey\",\"rp_name\":\"Test\",\"rp_id\":\"localhost\"}]}",
             argv[2]);
    if (kavach_new(config, &kavach, &error) != KAVACH_OK) fail("kavach_new", error);

    /* One event callback per instance; NULLs are refused. */
    CHECK(kavach_set_event_callback(NULL, on_event, &events) == KAVACH_NULL_PARAMETER);
    CHECK(kavach_set_event_callback(kavach, NULL, &events) == KAVACH_NULL_PARAMETER);
    CHECK(kavach_set_event_callback(kavach, on_event, &events) == KAVACH_OK);
    CHECK(kavach_set_event_callback(kavach, on_event, &events) == KAVACH_INVALID_CONFIG);
    spawn_authenticator(argv[1]);

    /* Sign-up (the host's), register, sign out, sign in, and one refused replay. */
    if (kavach_create_user(kavach, "ada@example.com", "Ada", &out) != KAVACH_OK) fail("create user", out);
    user_id = string_field(out, "id");
    kavach_string_free(out);
    if (kavach_create_session(kavach, user_id, &out) != KAVACH_OK) fail("create session", out);
    cookie = session_cookie(out);
    kavach_string_free(out);

    r = request("POST", "/auth/passkey/register/options", cookie, "{\"name\":\"Soft key\"}");
    expect_status(&r, 200);
    reply = authenticator("register", r.body);
    response_free(&r);
    r = request("POST", "/auth/passkey/register/verify", cookie, reply);
    expect_status(&r, 200);
    credential_id = string_field(r.body, "id");
    response_free(&r);
    free(reply);

    r = request("POST", "/auth/sign-out", cookie, NULL);
    expect_status(&r, 200);
    response_free(&r);

    r = request("POST", "/auth/passkey/authenticate/options", NULL, "{\"email\":\"ada@example.com\"}");
    expect_status(&r, 200);
    reply = authenticator("authenticate", r.body);
    response_free(&r);
    r = request("POST", "/auth/passkey/authenticate/verify", NULL, reply);
    expect_status(&r, 200);
    signed_in = session_cookie(r.headers);
    response_free(&r);
    r = request("POST", "/auth/passkey/authenticate/verify", NULL, reply); /* replay: refused */
    expect_status(&r, 400);
    response_free(&r);
    free(reply);

    /* Events: in order, on kavach's thread, never a token. */
    CHECK(kavach_flush_events(kavach, 5000));
    {
        const char *const order[] = {"user.created",     "session.created", "passkey.registered",
                                     "session.revoked",  "signin.succeeded", "session.created"};
        pthread_mutex_lock(&events.lock);
        CHECK(in_order(events.text, order, sizeof order / sizeof *order));
        CHECK(events.calls_on_main == 0);
        CHECK(strstr(events.text, cookie + strlen("kavach_session=")) == NULL);
        CHECK(strstr(events.text, "\"userId\":\"") != NULL);
        CHECK(strstr(events.text, "\"client\":\"" CLIENT "\"") != NULL);
        pthread_mutex_unlock(&events.lock);
    }

    /* Metrics: the counts of the requests made, by route template. */
    CHECK(kavach_metrics(NULL, &out) == KAVACH_NULL_PARAMETER);
    kavach_string_free(out);
    CHECK(kavach_metrics(kavach, NULL) == KAVACH_NULL_PARAMETER);
    CHECK(kavach_metrics(kavach, &out) == KAVACH_OK);
    CHECK(metric(out, "kavach_http_requests_total{route=\"/passkey/register/options\",method=\"POST\",status=\"200\"}") == 1);
    CHECK(metric(out, "kavach_http_requests_total{route=\"/passkey/authenticate/verify\",method=\"POST\",status=\"200\"}") == 1);
    CHECK(metric(out, "kavach_http_requests_total{route=\"/passkey/authenticate/verify\",method=\"POST\",status=\"400\"}") == 1);
    CHECK(metric(out, "kavach_events_total{type=\"passkey.registered\",code=\"\"}") == 1);
    CHECK(metric(out, "kavach_events_total{type=\"session.created\",code=\"\"}") == 2);
    CHECK(strstr(out, "# TYPE kavach_http_request_duration_seconds histogram") != NULL);
    if (failures) fprintf(stderr, "metrics:\n%s", out);
    kavach_string_free(out);

    /* A log line for the refusal, through the callback, not on the request's thread. */
    CHECK(kavach_flush_log(5000));
    pthread_mutex_lock(&logs.lock);
    CHECK(strstr(logs.text, "\"kind\":\"refusal\"") != NULL);
    CHECK(strstr(logs.text, "\"code\":\"CHALLENGE_INVALID\"") != NULL);
    CHECK(logs.calls_on_main == 0);
    pthread_mutex_unlock(&logs.lock);

    /* Activity, paged by cursor: two at a time, newest first, every event once. */
    {
        char *before = NULL;
        int pages = 0, seen = 0;
        CHECK(kavach_activity(kavach, "not-a-session", NULL, 0, &out) == KAVACH_UNAUTHORIZED);
        kavach_string_free(out);
        CHECK(kavach_activity(kavach, signed_in, "%%%", 0, &out) == KAVACH_INVALID_REQUEST);
        kavach_string_free(out);
        CHECK(kavach_activity(kavach, signed_in, NULL, 201, &out) == KAVACH_INVALID_REQUEST);
        kavach_string_free(out);
        do {
            CHECK(kavach_activity(kavach, signed_in, before, 2, &out) == KAVACH_OK);
            free(before);
            seen += occurrences(out, "\"type\":");
            before = string_field(out, "nextCursor");
            if (pages == 0) {
                CHECK(occurrences(out, "\"type\":") == 2);
                CHECK(strstr(out, "\"type\":\"signin.succeeded\"") != NULL); /* the newest */
            }
            kavach_string_free(out);
            pages++;
        } while (before != NULL && pages < 20);
        CHECK(seen >= 6);
        CHECK(pages == (seen + 1) / 2 || pages == seen / 2 + 1);
        CHECK(kavach_user_activity(kavach, user_id, NULL, 0, &out) == KAVACH_OK);
        CHECK(occurrences(out, "\"type\":") == seen);
        kavach_string_free(out);
    }

    /* users.* for admin tools. */
    CHECK(kavach_update_user(kavach, user_id, "{\"email\":\"ada@example.org\",\"name\":\"Ada L.\"}", &out) == KAVACH_OK);
    CHECK(strstr(out, "\"email\":\"ada@example.org\"") && strstr(out, "\"name\":\"Ada L.\""));
    kavach_string_free(out);
    CHECK(kavach_update_user(kavach, user_id, "{\"name\":null}", &out) == KAVACH_OK);
    CHECK(strstr(out, "\"name\":null") && strstr(out, "\"email\":\"ada@example.org\""));
    kavach_string_free(out);
    CHECK(kavach_update_user(kavach, user_id, "{\"role\":\"admin\"}", &out) == KAVACH_INVALID_REQUEST);
    CHECK(strstr(out, "\"code\":\"INVALID_REQUEST\"") != NULL);
    kavach_string_free(out);
    CHECK(kavach_update_user(kavach, "no-such-user", "{}", &out) == KAVACH_USER_NOT_FOUND);
    kavach_string_free(out);
    CHECK(kavach_update_user(kavach, user_id, NULL, &out) == KAVACH_NULL_PARAMETER);
    kavach_string_free(out);

    CHECK(kavach_user_credentials(kavach, user_id, &out) == KAVACH_OK);
    CHECK(occurrences(out, "\"id\":") == 1 && strstr(out, credential_id) != NULL);
    kavach_string_free(out);
    CHECK(kavach_user_sessions(kavach, user_id, &out) == KAVACH_OK);
    CHECK(occurrences(out, "\"expiresAt\":") == 1); /* the signed-out one is gone */
    kavach_string_free(out);
    CHECK(kavach_revoke_user_sessions(kavach, user_id, &out) == KAVACH_OK);
    CHECK(strcmp(out, "{\"revoked\":1}") == 0);
    kavach_string_free(out);
    r = request("GET", "/auth/session", signed_in, NULL);
    CHECK(r.status == 401);
    response_free(&r);
    CHECK(kavach_revoke_user_credential(kavach, user_id, "AAAAAAAAAAAAAAAAAAAAAA", &out) == KAVACH_CREDENTIAL_NOT_FOUND);
    kavach_string_free(out);
    CHECK(kavach_revoke_user_credential(kavach, user_id, credential_id, &out) == KAVACH_OK);
    CHECK(strcmp(out, "{\"revoked\":true}") == 0);
    kavach_string_free(out);
    CHECK(kavach_user_credentials(kavach, user_id, &out) == KAVACH_OK);
    CHECK(strcmp(out, "[]") == 0);
    kavach_string_free(out);

    CHECK(kavach_delete_user(kavach, user_id, &out) == KAVACH_OK);
    CHECK(strcmp(out, "{\"deleted\":true}") == 0);
    kavach_string_free(out);
    CHECK(kavach_get_user(kavach, user_id, &out) == KAVACH_OK);
    CHECK(strcmp(out, "null") == 0);
    kavach_string_free(out);
    CHECK(kavach_delete_user(kavach, user_id, &out) == KAVACH_USER_NOT_FOUND);
    kavach_string_free(out);
    CHECK(kavach_user_activity(kavach, user_id, NULL, 0, &out) == KAVACH_OK);
    CHECK(strstr(out, "\"events\":[]") != NULL); /* the audit rows went with the user */
    kavach_string_free(out);

    /* Close delivers what is pending (the revocations above) before freeing. */
    {
        int before_close;
        pthread_mutex_lock(&events.lock);
        before_close = events.count;
        pthread_mutex_unlock(&events.lock);
        CHECK(kavach_close(kavach));
        CHECK(events.count >= before_close);
        CHECK(strstr(events.text, "\"type\":\"passkey.deleted\"") != NULL);
        CHECK(kavach_close(NULL));
    }

    CHECK(kavach_set_log_callback(NULL, NULL) == KAVACH_OK); /* back to stderr */
    test_slow_callback(argv[2]);
    free(user_id), free(cookie), free(signed_in), free(credential_id);
    fclose(to_authenticator);
    fclose(from_authenticator);
    wait(NULL);
    kavach_free(kavach);

    printf("test_operations: %d checks, %d failures (%d events, %d log lines)\n", checks, failures, events.count,
           logs.count);
    return failures ? 1 : 0;
}
