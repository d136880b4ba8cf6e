/*
 * Tests of the C ABI itself (libkavach + include/kavach.h): result codes and names, NULL
 * handles and out-pointers, invalid UTF-8, malformed JSON, oversized input, the host API, the
 * router, the per-client rate limit and the challenge cap, and 16 threads sharing one kavach_t. Built with -Wall -Wextra -Werror -pedantic
 * -fsanitize=address,undefined by ffi/scripts/test.sh; every string kavach hands out is freed,
 * so LeakSanitizer also checks ownership.
 *
 * Issue 21: ML-DSA and PS384 through the stateless verifiers, from the fixtures the Rust software
 * authenticator made (tests/fixtures/stateless-algorithms.json), and the "algorithms" option.
 *
 * Usage: test_kavach <database directory> <tests/fixtures/stateless-algorithms.json>
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kavach.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                 \
    } while (0)

#define CHECK_RESULT(call, expected)                                                      \
    do {                                                                                  \
        kavach_result got_ = (call);                                                      \
        checks++;                                                                         \
        if (got_ != (kavach_result)(expected)) {                                          \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__,   \
                    #call, kavach_result_name(got_), kavach_result_name(expected));       \
        }                                                                                 \
    } while (0)

static char config[1024];

/* Whether `json` contains `needle`; frees `json` (kavach's string) either way. */
static int take_contains(char *json, const char *needle) {
    int found = json != NULL && strstr(json, needle) != NULL;
    if (!found) fprintf(stderr, "  expected %s in %s\n", needle, json ? json : "(NULL)");
    kavach_string_free(json);
    return found;
}

/* Copies the string value of "key" from compact JSON (kavach's output has no spaces). */
static int json_field(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    const char *start, *end;
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    start = json ? strstr(json, pattern) : NULL;
    if (start == NULL) return 0;
    start += strlen(pattern);
    end = strchr(start, '"');
    if (end == NULL || (size_t)(end - start) >= size) return 0;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return 1;
}

static void test_result_names(void) {
    static const struct { kavach_result result; const char *name; uint16_t status; } table[] = {
        {KAVACH_OK, "OK", 200},
        {KAVACH_UNAUTHORIZED, "UNAUTHORIZED", 401},
        {KAVACH_INVALID_REQUEST, "INVALID_REQUEST", 400},
        {KAVACH_PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", 413},
        {KAVACH_CHALLENGE_INVALID, "CHALLENGE_INVALID", 400},
        {KAVACH_VERIFICATION_FAILED, "VERIFICATION_FAILED", 400},
        {KAVACH_COUNTER_REGRESSION, "COUNTER_REGRESSION", 401},
        {KAVACH_CREDENTIAL_EXISTS, "CREDENTIAL_EXISTS", 409},
        {KAVACH_CREDENTIAL_NOT_FOUND, "CREDENTIAL_NOT_FOUND", 404},
        {KAVACH_LAST_CREDENTIAL, "LAST_CREDENTIAL", 409},
        {KAVACH_FORBIDDEN_ORIGIN, "FORBIDDEN_ORIGIN", 403},
        {KAVACH_NOT_FOUND, "NOT_FOUND", 404},
        {KAVACH_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", 405},
        {KAVACH_USER_EXISTS, "USER_EXISTS", 409},
        {KAVACH_USER_NOT_FOUND, "USER_NOT_FOUND", 404},
        {KAVACH_INVALID_CONFIG, "INVALID_CONFIG", 500},
        {KAVACH_INTERNAL, "INTERNAL", 500},
        {KAVACH_RATE_LIMITED, "RATE_LIMITED", 429},
        {KAVACH_TOO_MANY_CHALLENGES, "TOO_MANY_CHALLENGES", 503},
        {KAVACH_REAUTH_REQUIRED, "REAUTH_REQUIRED", 403},
        {KAVACH_NULL_PARAMETER, "NULL_PARAMETER", 500},
        {KAVACH_INVALID_UTF8, "INVALID_UTF8", 400},
        {KAVACH_PANIC, "PANIC", 500},
    };
    size_t i, known = 0;
    uint32_t value;
    for (i = 0; i < sizeof table / sizeof table[0]; i++) {
        CHECK(strcmp(kavach_result_name(table[i].result), table[i].name) == 0);
        CHECK(kavach_result_status(table[i].result) == table[i].status);
    }
    /* Exactly the values above have names; everything else is UNKNOWN / 500. */
    for (value = 0; value < 1000; value++) {
        if (strcmp(kavach_result_name(value), "UNKNOWN") != 0) known++;
    }
    CHECK(known == sizeof table / sizeof table[0]);
    /* Values never move: the core's codes are 101.., in the order of ErrorCode::ALL. */
    CHECK(KAVACH_RATE_LIMITED == 117 && KAVACH_TOO_MANY_CHALLENGES == 118);
    CHECK(strcmp(kavach_result_name(117), "RATE_LIMITED") == 0 && kavach_result_status(117) == 429);
    CHECK(strcmp(kavach_result_name(118), "TOO_MANY_CHALLENGES") == 0 && kavach_result_status(118) == 503);
    CHECK(strcmp(kavach_result_name(119), "REAUTH_REQUIRED") == 0 && kavach_result_status(119) == 403);
    CHECK(strcmp(kavach_result_name(120), "UNKNOWN") == 0);
    CHECK(strcmp(kavach_result_name(0xFFFFFFFFu), "UNKNOWN") == 0);
    CHECK(kavach_result_status(4242) == 500);
}

static void test_new_and_free(void) {
    kavach_t *kavach = (kavach_t *)1;
    char *error = NULL;

    CHECK_RESULT(kavach_new(NULL, &kavach, &error), KAVACH_NULL_PARAMETER);
    CHECK(kavach == NULL);
    CHECK(take_contains(error, "\"code\":\"NULL_PARAMETER\""));

    CHECK_RESULT(kavach_new(config, NULL, &error), KAVACH_NULL_PARAMETER);
    CHECK(take_contains(error, "out must not be NULL"));

    CHECK_RESULT(kavach_new("{not json", &kavach, &error), KAVACH_INVALID_CONFIG);
    CHECK(kavach == NULL);
    CHECK(take_contains(error, "\"code\":\"INVALID_CONFIG\""));

    CHECK_RESULT(kavach_new("{\"secret\":\"short\",\"base_url\":\"http://localhost:3000\"}", &kavach, &error),
                 KAVACH_INVALID_CONFIG);
    CHECK(take_contains(error, "secret must be at least 32 bytes"));

    CHECK_RESULT(kavach_new("{\"secret\":\"\xff\xfe\"}", &kavach, &error), KAVACH_INVALID_UTF8);
    CHECK(take_contains(error, "\"status\":400"));

    /* error_json may be NULL. */
    CHECK_RESULT(kavach_new("[]", &kavach, NULL), KAVACH_INVALID_CONFIG);

    CHECK_RESULT(kavach_new(config, &kavach, &error), KAVACH_OK);
    CHECK(kavach != NULL && error == NULL);
    kavach_free(kavach);

    /* Freeing NULL is a no-op. */
    kavach_free(NULL);
    kavach_string_free(NULL);
    kavach_bytes_free(NULL, 0);
    CHECK(kavach_max_body_bytes() == 65536);
}

static void test_null_handles_and_out_pointers(const kavach_t *kavach) {
    char *out = NULL;
    CHECK_RESULT(kavach_register_options(NULL, "t", "{}", &out), KAVACH_NULL_PARAMETER);
    CHECK(take_contains(out, "kavach must not be NULL"));
    CHECK_RESULT(kavach_authenticate_options(NULL, NULL, &out), KAVACH_NULL_PARAMETER);
    kavach_string_free(out);
    CHECK_RESULT(kavach_create_user(NULL, "a@example.com", NULL, &out), KAVACH_NULL_PARAMETER);
    kavach_string_free(out);
    CHECK_RESULT(kavach_get_session(NULL, "t", &out), KAVACH_NULL_PARAMETER);
    kavach_string_free(out);
    CHECK_RESULT(kavach_base_path(NULL, &out), KAVACH_NULL_PARAMETER);
    kavach_string_free(out);

    /* A NULL out pointer: nothing is written, nothing runs. */
    CHECK_RESULT(kavach_register_options(kavach, "t", "{}", NULL), KAVACH_NULL_PARAMETER);
    CHECK_RESULT(kavach_authenticate_options(kavach, NULL, NULL), KAVACH_NULL_PARAMETER);
    CHECK_RESULT(kavach_create_user(kavach, "nobody@example.com", NULL, NULL), KAVACH_NULL_PARAMETER);
    CHECK_RESULT(kavach_verify_registration_response("{}", NULL), KAVACH_NULL_PARAMETER);
    CHECK_RESULT(kavach_find_user_by_email(kavach, "nobody@example.com", &out), KAVACH_OK);
    CHECK(take_contains(out, "null"));

    /* Required strings. */
    CHECK_RESULT(kavach_register_verify(kavach, "t", NULL, &out), KAVACH_NULL_PARAMETER);
    CHECK(take_contains(out, "body_json must not be NULL"));
    CHECK_RESULT(kavach_rename_credential(kavach, "t", "id", NULL, &out), KAVACH_NULL_PARAMETER);
    CHECK(take_contains(out, "name must not be NULL"));
    CHECK_RESULT(kavach_create_user(kavach, NULL, NULL, &out), KAVACH_NULL_PARAMETER);
    CHECK(take_contains(out, "email must not be NULL"));
    CHECK_RESULT(kavach_verify_authentication_response(NULL, &out), KAVACH_NULL_PARAMETER);
    kavach_string_free(out);
}

static void test_invalid_input(const kavach_t *kavach, const char *token) {
    char *out = NULL;
    char *huge;
    size_t huge_len = 1024 * 1024;

    CHECK_RESULT(kavach_create_user(kavach, "\xc3\x28@example.com", NULL, &out), KAVACH_INVALID_UTF8);
    CHECK(take_contains(out, "email is not valid UTF-8"));
    CHECK_RESULT(kavach_get_session(kavach, "\xff", &out), KAVACH_INVALID_UTF8);
    kavach_string_free(out);

    CHECK_RESULT(kavach_register_verify(kavach, token, "{\"id\": ", &out), KAVACH_INVALID_REQUEST);
    CHECK(take_contains(out, "\"code\":\"INVALID_REQUEST\""));
    CHECK_RESULT(kavach_register_options(kavach, token, "[1,2]", &out), KAVACH_INVALID_REQUEST);
    CHECK(take_contains(out, "\"status\":400"));
    CHECK_RESULT(kavach_authenticate_verify(kavach, "not json", &out), KAVACH_INVALID_REQUEST);
    kavach_string_free(out);
    CHECK_RESULT(kavach_verify_registration_response("{oops", &out), KAVACH_INVALID_REQUEST);
    CHECK(take_contains(out, "input_json is not valid JSON"));
    CHECK_RESULT(kavach_verify_authentication_response("{\"response\": {}}", &out), KAVACH_INVALID_REQUEST);
    kavach_string_free(out);
    CHECK_RESULT(kavach_create_user(kavach, "not an email", NULL, &out), KAVACH_INVALID_REQUEST);
    kavach_string_free(out);

    /* Huge inputs: refused with a code, never a crash. */
    huge = malloc(huge_len + 1);
    CHECK(huge != NULL);
    if (huge == NULL) return;
    memset(huge, ' ', huge_len);
    huge[0] = '{';
    huge[huge_len - 1] = '}';
    huge[huge_len] = '\0';
    CHECK_RESULT(kavach_authenticate_verify(kavach, huge, &out), KAVACH_PAYLOAD_TOO_LARGE);
    CHECK(take_contains(out, "\"status\":413"));
    CHECK_RESULT(kavach_register_verify(kavach, token, huge, &out), KAVACH_PAYLOAD_TOO_LARGE);
    kavach_string_free(out);
    memset(huge, 'a', huge_len);
    huge[10] = '@';
    CHECK_RESULT(kavach_create_user(kavach, huge, NULL, &out), KAVACH_INVALID_REQUEST);
    kavach_string_free(out);
    CHECK_RESULT(kavach_get_session(kavach, huge, &out), KAVACH_OK);
    CHECK(take_contains(out, "null"));
    CHECK_RESULT(kavach_verify_registration_response(huge, &out), KAVACH_INVALID_REQUEST);
    kavach_string_free(out);
    free(huge);
}

static void test_users_and_sessions(const kavach_t *kavach, char *token, size_t token_size) {
    char *out = NULL;
    char user_id[128], session_id[128], other_token[128];

    CHECK_RESULT(kavach_create_user(kavach, "ada@example.com", "Ada", &out), KAVACH_OK);
    CHECK(json_field(out, "id", user_id, sizeof user_id));
    CHECK(take_contains(out, "\"email\":\"ada@example.com\""));
    CHECK_RESULT(kavach_create_user(kavach, "ADA@example.com", NULL, &out), KAVACH_USER_EXISTS);
    CHECK(take_contains(out, "\"status\":409"));
    CHECK_RESULT(kavach_get_user(kavach, user_id, &out), KAVACH_OK);
    CHECK(take_contains(out, "\"name\":\"Ada\""));
    CHECK_RESULT(kavach_get_user(kavach, "no-such-id", &out), KAVACH_OK);
    CHECK(take_contains(out, "null"));
    CHECK_RESULT(kavach_find_user_by_email(kavach, "Ada@Example.com", &out), KAVACH_OK);
    CHECK(take_contains(out, user_id));
    CHECK_RESULT(kavach_set_user_has_other_sign_in(kavach, user_id, true, &out), KAVACH_OK);
    CHECK(take_contains(out, "true"));
    CHECK_RESULT(kavach_set_user_has_other_sign_in(kavach, "no-such-id", true, &out), KAVACH_USER_NOT_FOUND);
    kavach_string_free(out);
    CHECK_RESULT(kavach_create_session(kavach, "no-such-id", &out), KAVACH_USER_NOT_FOUND);
    kavach_string_free(out);

    /* A session to revoke, and the one the other tests use. */
    CHECK_RESULT(kavach_create_session(kavach, user_id, &out), KAVACH_OK);
    CHECK(json_field(out, "token", other_token, sizeof other_token));
    CHECK(take_contains(out, "kavach_session="));
    CHECK_RESULT(kavach_create_session(kavach, user_id, &out), KAVACH_OK);
    CHECK(json_field(out, "token", token, token_size));
    kavach_string_free(out);

    CHECK_RESULT(kavach_get_session(kavach, other_token, &out), KAVACH_OK);
    CHECK(json_field(out, "id", session_id, sizeof session_id)); /* the user's id comes first */
    CHECK(take_contains(out, "\"session\":{"));
    /* The session id is the second "id" in {user: {id..}, session: {id..}}. */
    CHECK_RESULT(kavach_get_session(kavach, other_token, &out), KAVACH_OK);
    CHECK(out != NULL && json_field(strstr(out, "\"session\":"), "id", session_id, sizeof session_id));
    kavach_string_free(out);
    CHECK_RESULT(kavach_revoke_session(kavach, session_id, &out), KAVACH_OK);
    CHECK(take_contains(out, "true"));
    CHECK_RESULT(kavach_revoke_session(kavach, session_id, &out), KAVACH_OK);
    CHECK(take_contains(out, "false"));
    CHECK_RESULT(kavach_get_session(kavach, other_token, &out), KAVACH_OK);
    CHECK(take_contains(out, "null"));
    CHECK_RESULT(kavach_register_options(kavach, other_token, NULL, &out), KAVACH_UNAUTHORIZED);
    CHECK(take_contains(out, "\"status\":401"));

    /* The live session works, as a token, a Bearer header and a Cookie header. */
    CHECK_RESULT(kavach_register_options(kavach, token, NULL, &out), KAVACH_OK);
    CHECK(take_contains(out, "\"challenge\":"));
    {
        char header[256];
        snprintf(header, sizeof header, "Bearer %s", token);
        CHECK_RESULT(kavach_list_credentials(kavach, header, &out), KAVACH_OK);
        CHECK(take_contains(out, "[]"));
        snprintf(header, sizeof header, "theme=dark; kavach_session=%s", token);
        CHECK_RESULT(kavach_rename_credential(kavach, header, "AAAA", "Laptop", &out), KAVACH_CREDENTIAL_NOT_FOUND);
        CHECK(take_contains(out, "\"status\":404"));
    }
    CHECK_RESULT(kavach_delete_credential(kavach, token, "AAAA", &out), KAVACH_CREDENTIAL_NOT_FOUND);
    kavach_string_free(out);
    CHECK_RESULT(kavach_authenticate_options(kavach, "ada@example.com", &out), KAVACH_OK);
    CHECK(take_contains(out, "\"rpId\":\"localhost\""));
    CHECK_RESULT(kavach_base_path(kavach, &out), KAVACH_OK);
    CHECK(take_contains(out, "\"/auth\""));
}

struct response {
    kavach_result result;
    uint16_t status;
    char *headers;
    uint8_t *body;
    size_t body_len;
};

/* One request through kavach_handle from client key `client` (NULL: none). */
static struct response handle_from(const kavach_t *kavach, const char *client, const char *method, const char *path,
                                   size_t count, const char *const *names, const char *const *values,
                                   const char *body, size_t body_len) {
    struct response r = {0, 0, NULL, NULL, 0};
    r.result = kavach_handle(kavach, method, path, client, names, values, count, (const uint8_t *)body, body_len,
                             &r.status, &r.headers, &r.body, &r.body_len);
    return r;
}

/* One request through kavach_handle with no client key. */
static struct response handle(const kavach_t *kavach, const char *method, const char *path, size_t count,
                              const char *const *names, const char *const *values, const char *body,
                              size_t body_len) {
    return handle_from(kavach, NULL, method, path, count, names, values, body, body_len);
}

/* The value of the "retry-after" response header (0 if there is none); keeps the response. */
static int retry_after(const struct response *r) {
    const char *pattern = "[\"retry-after\",\"";
    const char *at = r->headers ? strstr(r->headers, pattern) : NULL;
    return at ? atoi(at + strlen(pattern)) : 0;
}

/* Whether the body contains `needle`; frees the response. */
static int response_has(struct response r, const char *needle) {
    char *text = malloc(r.body_len + 1);
    int found;
    if (text == NULL) return 0;
    if (r.body_len) memcpy(text, r.body, r.body_len);
    text[r.body_len] = '\0';
    found = strstr(text, needle) != NULL || (r.headers && strstr(r.headers, needle) != NULL);
    if (!found) fprintf(stderr, "  expected %s in %d %s %s\n", needle, r.status, r.headers, text);
    free(text);
    kavach_string_free(r.headers);
    kavach_bytes_free(r.body, r.body_len);
    return found;
}

static void test_handle(const kavach_t *kavach, const char *token) {
    struct response r;
    char bearer[256];
    const char *names[2] = {"Authorization", "Origin"};
    const char *values[2];
    const char *evil[1] = {"https://evil.example"};
    const char *origin_name[1] = {"origin"};
    char *big;
    size_t big_len = 3 * 1024 * 1024;
    uint16_t status = 0;
    char *headers = NULL;
    uint8_t *body = NULL;
    size_t body_len = 0;

    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    values[0] = bearer;
    values[1] = "http://localhost:3000";

    r = handle(kavach, "GET", "/auth/session", 2, names, values, NULL, 0);
    CHECK(r.result == KAVACH_OK && r.status == 200);
    CHECK(response_has(r, "ada@example.com"));
    r = handle(kavach, "GET", "/auth/session", 0, NULL, NULL, NULL, 0);
    CHECK(r.result == KAVACH_OK && r.status == 401);
    CHECK(response_has(r, "\"code\":\"UNAUTHORIZED\""));
    r = handle(kavach, "POST", "/auth/passkey/authenticate/options", 2, names, values, "{}", 2);
    CHECK(r.result == KAVACH_OK && r.status == 200);
    CHECK(response_has(r, "[\"cache-control\",\"no-store\"]"));
    r = handle(kavach, "POST", "/auth/passkey/authenticate/options", 1, origin_name, evil, "{}", 2);
    CHECK(r.status == 403);
    CHECK(response_has(r, "FORBIDDEN_ORIGIN"));
    r = handle(kavach, "GET", "/auth/nowhere", 0, NULL, NULL, NULL, 0);
    CHECK(r.status == 404);
    CHECK(response_has(r, "\"code\":\"NOT_FOUND\""));
    r = handle(kavach, "GET", "/auth/passkey/register/options", 0, NULL, NULL, NULL, 0);
    CHECK(r.status == 405);
    CHECK(response_has(r, "[\"allow\",\"POST\"]"));
    r = handle(kavach, "POST", "/auth/passkey/authenticate/options", 0, NULL, NULL, "{nope", 5);
    CHECK(r.status == 400);
    CHECK(response_has(r, "INVALID_REQUEST"));
    r = handle(kavach, "POST", "/auth/sign-out", 0, NULL, NULL, NULL, 0);
    CHECK(r.status == 401);
    CHECK(response_has(r, "UNAUTHORIZED"));

    /* A body of 3 MiB: the core answers 413 (only 64 KiB + 1 bytes are copied). */
    big = malloc(big_len);
    CHECK(big != NULL);
    if (big != NULL) {
        memset(big, '{', big_len);
        r = handle(kavach, "POST", "/auth/passkey/authenticate/verify", 0, NULL, NULL, big, big_len);
        CHECK(r.result == KAVACH_OK && r.status == 413);
        CHECK(response_has(r, "PAYLOAD_TOO_LARGE"));
        free(big);
    }

    /* Call failures still produce a response that can be sent. */
    r = handle(kavach, "GET", "/auth/\xff", 0, NULL, NULL, NULL, 0);
    CHECK(r.result == KAVACH_INVALID_UTF8 && r.status == 400);
    CHECK(response_has(r, "INVALID_UTF8"));
    r = handle(NULL, "GET", "/auth/session", 0, NULL, NULL, NULL, 0);
    CHECK(r.result == KAVACH_NULL_PARAMETER && r.status == 500);
    CHECK(response_has(r, "NULL_PARAMETER"));
    r = handle(kavach, "GET", "/auth/session", 2, NULL, NULL, NULL, 0);
    CHECK(r.result == KAVACH_NULL_PARAMETER);
    CHECK(response_has(r, "header_names"));
    r = handle(kavach, "POST", "/auth/sign-out", 0, NULL, NULL, NULL, 10);
    CHECK(r.result == KAVACH_NULL_PARAMETER);
    CHECK(response_has(r, "body must not be NULL"));
    CHECK_RESULT(kavach_handle(kavach, "GET", "/auth/session", NULL, NULL, NULL, 0, NULL, 0, NULL, &headers, &body,
                               &body_len),
                 KAVACH_NULL_PARAMETER);
    CHECK(headers != NULL && body != NULL);
    kavach_string_free(headers);
    kavach_bytes_free(body, body_len);
    CHECK_RESULT(kavach_handle(kavach, "GET", "/auth/session", NULL, NULL, NULL, 0, NULL, 0, &status, NULL, NULL,
                               NULL),
                 KAVACH_NULL_PARAMETER);
    CHECK(status == 500);
    /* A client key that is not UTF-8 is refused like a method or path that is not. */
    r = handle_from(kavach, "203.0.113.\xff", "GET", "/auth/session", 0, NULL, NULL, NULL, 0);
    CHECK(r.result == KAVACH_INVALID_UTF8 && r.status == 400);
    CHECK(response_has(r, "client is not valid UTF-8"));
}

/* rateLimit {max: 2, window: 60}: a client key gets two sign-in requests, then 429 with
 * Retry-After; other keys and requests without a key are not affected. */
static void test_rate_limit(const char *dir) {
    char limited_config[1024];
    kavach_t *kavach = NULL;
    char *error = NULL;
    struct response r;
    const char *path = "/auth/passkey/authenticate/options";
    const char *client = "203.0.113.7";
    int i, seconds;

    snprintf(limited_config, sizeof limited_config,
             "{\"database\":{\"url\":\"file:%s/rate.db\"},"
             "\"secret\":\"a-test-secret-of-at-least-thirty-two-bytes\","
             "\"base_url\":\"http://localhost:3000\",\"rateLimit\":{\"max\":2,\"window\":60},"
             "\"plugins\":[{\"id\":\"passkey\",\"rp_name\":\"Test\",\"rp_id\":\"localhost\"}]}",
             dir);
    CHECK_RESULT(kavach_new(limited_config, &kavach, &error), KAVACH_OK);
    if (kavach == NULL) {
        fprintf(stderr, "  kavach_new: %s\n", error ? error : "(NULL)");
        kavach_string_free(error);
        return;
    }

    for (i = 0; i < 2; i++) {
        r = handle_from(kavach, client, "POST", path, 0, NULL, NULL, "{}", 2);
        CHECK(r.result == KAVACH_OK && r.status == 200 && retry_after(&r) == 0);
        CHECK(response_has(r, "\"challenge\":"));
    }
    r = handle_from(kavach, client, "POST", path, 0, NULL, NULL, "{}", 2);
    seconds = retry_after(&r);
    CHECK(r.result == KAVACH_OK && r.status == 429);
    /* One request comes back every window / max = 30 s. */
    CHECK(seconds >= 1 && seconds <= 30);
    CHECK(response_has(r, "\"code\":\"RATE_LIMITED\""));
    /* authenticate/verify spends from the same bucket: refused before the body is read. */
    r = handle_from(kavach, client, "POST", "/auth/passkey/authenticate/verify", 0, NULL, NULL, "{}", 2);
    CHECK(r.status == 429 && retry_after(&r) >= 1);
    CHECK(response_has(r, "RATE_LIMITED"));

    /* Another client key has its own bucket. */
    r = handle_from(kavach, "198.51.100.1", "POST", path, 0, NULL, NULL, "{}", 2);
    CHECK(r.result == KAVACH_OK && r.status == 200);
    CHECK(response_has(r, "\"challenge\":"));
    /* No client key: never limited. */
    for (i = 0; i < 5; i++) {
        r = handle(kavach, "POST", path, 0, NULL, NULL, "{}", 2);
        CHECK(r.result == KAVACH_OK && r.status == 200);
        CHECK(response_has(r, "\"challenge\":"));
    }
    /* The limited client is still limited; the host API (no client key) is not. */
    r = handle_from(kavach, client, "POST", path, 0, NULL, NULL, "{}", 2);
    CHECK(r.status == 429);
    CHECK(response_has(r, "RATE_LIMITED"));
    for (i = 0; i < 3; i++) {
        CHECK_RESULT(kavach_authenticate_options(kavach, NULL, &error), KAVACH_OK);
        kavach_string_free(error);
    }
    kavach_free(kavach);
}

/* passkey.maxOutstandingChallenges is deprecated: still accepted (configurations of earlier
 * versions start), and caps nothing, since options store nothing (stateless challenges). */
static void test_deprecated_challenge_cap(const char *dir) {
    char capped_config[1024];
    kavach_t *kavach = NULL;
    char *out = NULL;
    int i;

    snprintf(capped_config, sizeof capped_config,
             "{\"database\":{\"url\":\"file:%s/cap.db\"},"
             "\"secret\":\"a-test-secret-of-at-least-thirty-two-bytes\","
             "\"base_url\":\"http://localhost:3000\","
             "\"plugins\":[{\"id\":\"passkey\",\"rp_name\":\"Test\",\"rp_id\":\"localhost\","
             "\"max_outstanding_challenges\":10}]}",
             dir);
    CHECK_RESULT(kavach_new(capped_config, &kavach, &out), KAVACH_OK);
    if (kavach == NULL) {
        fprintf(stderr, "  kavach_new: %s\n", out ? out : "(NULL)");
        kavach_string_free(out);
        return;
    }
    for (i = 0; i < 20; i++) {
        CHECK_RESULT(kavach_authenticate_options(kavach, NULL, &out), KAVACH_OK);
        kavach_string_free(out);
    }
    /* Errors without a retry delay carry no retryAfter. */
    CHECK_RESULT(kavach_create_user(kavach, "not an email", NULL, &out), KAVACH_INVALID_REQUEST);
    CHECK(out != NULL && strstr(out, "retryAfter") == NULL);
    kavach_string_free(out);
    kavach_free(kavach);
}

#define THREADS 16
#define ROUNDS 25

struct worker {
    const kavach_t *kavach;
    int index;
    int ok;
};

static void *work(void *arg) {
    struct worker *w = arg;
    int round;
    for (round = 0; round < ROUNDS; round++) {
        char email[64], user_id[128], token[128], session_id[128], bearer[256];
        char *out = NULL;
        const char *names[1] = {"authorization"};
        const char *values[1];
        struct response r;
        int good = 1;

        snprintf(email, sizeof email, "t%d-r%d@example.com", w->index, round);
        good &= kavach_create_user(w->kavach, email, NULL, &out) == KAVACH_OK;
        good &= json_field(out, "id", user_id, sizeof user_id);
        kavach_string_free(out);
        good &= kavach_create_session(w->kavach, user_id, &out) == KAVACH_OK;
        good &= json_field(out, "token", token, sizeof token);
        good &= out != NULL && json_field(strstr(out, "\"session\":"), "id", session_id, sizeof session_id);
        kavach_string_free(out);
        good &= kavach_register_options(w->kavach, token, "{\"name\":\"Laptop\"}", &out) == KAVACH_OK;
        kavach_string_free(out);
        good &= kavach_authenticate_options(w->kavach, round % 2 ? email : NULL, &out) == KAVACH_OK;
        kavach_string_free(out);
        snprintf(bearer, sizeof bearer, "Bearer %s", token);
        values[0] = bearer;
        r = handle(w->kavach, "GET", "/auth/session", 1, names, values, NULL, 0);
        good &= r.result == KAVACH_OK && r.status == 200;
        good &= response_has(r, email);
        good &= kavach_revoke_session(w->kavach, session_id, &out) == KAVACH_OK;
        kavach_string_free(out);
        r = handle(w->kavach, "GET", "/auth/session", 1, names, values, NULL, 0);
        good &= r.status == 401;
        kavach_string_free(r.headers);
        kavach_bytes_free(r.body, r.body_len);
        w->ok += good;
    }
    return NULL;
}

static void test_threads(const kavach_t *kavach) {
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    int i, total = 0;
    for (i = 0; i < THREADS; i++) {
        workers[i].kavach = kavach;
        workers[i].index = i;
        workers[i].ok = 0;
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        total += workers[i].ok;
    }
    CHECK(total == THREADS * ROUNDS);
}

/* A whole file, NUL-terminated; NULL if it cannot be read. The caller frees it. */
static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    char *text = NULL;
    long size;
    if (file == NULL) return NULL;
    if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) > 0 && fseek(file, 0, SEEK_SET) == 0) {
        text = malloc((size_t)size + 1);
        if (text != NULL && fread(text, 1, (size_t)size, file) == (size_t)size) {
            text[size] = '\0';
        } else {
            free(text);
            text = NULL;
        }
    }
    fclose(file);
    return text;
}

/* The end (closing brace) of the JSON object opening at `start`. The fixture's strings hold no
 * braces (base64url, names, origins), so counting braces finds it. NULL if unbalanced. */
static const char *object_end(const char *start) {
    int depth = 0;
    for (; *start != '\0'; start++) {
        if (*start == '{') depth++;
        if (*start == '}' && --depth == 0) return start;
    }
    return NULL;
}

/* A copy of the JSON object that is the value of "key" in the fixture case named `name`, with
 * `prefix` (e.g. "\"expectedAlgorithms\":[\"ES256\"],") inserted after its opening brace. NULL if
 * not found; the caller frees it. */
static char *fixture_object(const char *fixtures, const char *name, const char *key, const char *prefix) {
    char pattern[64];
    const char *at, *case_start, *case_end, *start, *end;
    int depth = 0;
    size_t len, prefix_len = strlen(prefix);
    char *out;
    snprintf(pattern, sizeof pattern, "\"name\": \"%s\"", name);
    at = strstr(fixtures, pattern);
    if (at == NULL) return NULL;
    /* The case object enclosing "name" (its members come in any order). */
    for (case_start = at; case_start > fixtures; case_start--) {
        if (*case_start == '}') depth++;
        if (*case_start == '{' && depth-- == 0) break;
    }
    case_end = object_end(case_start);
    snprintf(pattern, sizeof pattern, "\"%s\": {", key);
    start = strstr(case_start, pattern);
    if (case_end == NULL || start == NULL || start > case_end) return NULL;
    start = strchr(start, '{');
    end = object_end(start);
    if (end == NULL) return NULL;
    len = (size_t)(end - start) + 1;
    out = malloc(len + prefix_len + 1);
    if (out == NULL) return NULL;
    out[0] = '{';
    memcpy(out + 1, prefix, prefix_len);
    memcpy(out + 1 + prefix_len, start + 1, len - 1);
    out[len + prefix_len] = '\0';
    return out;
}

static void test_algorithms(const char *fixtures_path, const char *dir) {
    static const char *const names[] = {"ML-DSA-44", "ML-DSA-87", "PS384"};
    static const char *const algorithms[] = {"\"algorithm\":-48", "\"algorithm\":-50", "\"algorithm\":-38"};
    char *fixtures = read_file(fixtures_path);
    char *out = NULL, *input, *signature;
    char pq_config[1024];
    kavach_t *kavach = NULL;
    size_t i;

    CHECK(fixtures != NULL);
    if (fixtures == NULL) return;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        input = fixture_object(fixtures, names[i], "registration", "");
        CHECK(input != NULL);
        if (input == NULL) continue;
        CHECK_RESULT(kavach_verify_registration_response(input, &out), KAVACH_OK);
        CHECK(take_contains(out, algorithms[i]));
        free(input);

        input = fixture_object(fixtures, names[i], "authentication", "");
        CHECK(input != NULL);
        if (input == NULL) continue;
        CHECK_RESULT(kavach_verify_authentication_response(input, &out), KAVACH_OK);
        CHECK(take_contains(out, "\"counter\":1"));
        /* One character of the signature changed: refused, never accepted. */
        signature = strstr(input, "\"signature\": \"");
        CHECK(signature != NULL);
        if (signature != NULL) {
            signature += strlen("\"signature\": \"") + 20;
            *signature = *signature == 'A' ? 'B' : 'A';
            CHECK_RESULT(kavach_verify_authentication_response(input, &out), KAVACH_VERIFICATION_FAILED);
            CHECK(take_contains(out, "\"status\":401"));
        }
        free(input);
    }

    /* A credential of an algorithm the registration did not offer. */
    input = fixture_object(fixtures, "ML-DSA-44", "registration", "\"expectedAlgorithms\":[\"ES256\",\"EdDSA\"],");
    CHECK(input != NULL);
    if (input != NULL) {
        CHECK_RESULT(kavach_verify_registration_response(input, &out), KAVACH_VERIFICATION_FAILED);
        CHECK(take_contains(out, "credential algorithm ML-DSA-44 (-48) was not offered"));
        free(input);
    }
    free(fixtures);

    /* "algorithms" in the config: offered in order; an unknown name is a config error. */
    snprintf(pq_config, sizeof pq_config,
             "{\"database\":{\"url\":\"file:%s/algorithms.db\"},"
             "\"secret\":\"a-test-secret-of-at-least-thirty-two-bytes\","
             "\"base_url\":\"http://localhost:3000\","
             "\"plugins\":[{\"id\":\"passkey\",\"rp_name\":\"Test\",\"rp_id\":\"localhost\","
             "\"algorithms\":[\"ML-DSA-44\",\"ES256\"]}]}",
             dir);
    CHECK_RESULT(kavach_new(pq_config, &kavach, &out), KAVACH_OK);
    kavach_string_free(out);
    out = NULL;
    if (kavach != NULL) {
        char user_id[128], token[128];
        CHECK_RESULT(kavach_create_user(kavach, "pq@example.com", NULL, &out), KAVACH_OK);
        CHECK(json_field(out, "id", user_id, sizeof user_id));
        kavach_string_free(out);
        CHECK_RESULT(kavach_create_session(kavach, user_id, &out), KAVACH_OK);
        CHECK(json_field(out, "token", token, sizeof token));
        kavach_string_free(out);
        CHECK_RESULT(kavach_register_options(kavach, token, NULL, &out), KAVACH_OK);
        CHECK(take_contains(out, "\"pubKeyCredParams\":[{\"alg\":-48,\"type\":\"public-key\"},"
                                 "{\"alg\":-7,\"type\":\"public-key\"}]"));
        kavach_free(kavach);
        kavach = NULL;
    }
    snprintf(pq_config, sizeof pq_config,
             "{\"database\":{\"url\":\"file:%s/algorithms.db\"},"
             "\"secret\":\"a-test-secret-of-at-least-thirty-two-bytes\","
             "\"base_url\":\"http://localhost:3000\","
             "\"plugins\":[{\"id\":\"passkey\",\"rp_name\":\"Test\",\"rp_id\":\"localhost\","
             "\"algorithms\":[\"Ed448\"]}]}",
             dir);
    CHECK_RESULT(kavach_new(pq_config, &kavach, &out), KAVACH_INVALID_CONFIG);
    CHECK(take_contains(out, "'Ed448' is not an algorithm kavach verifies"));
    CHECK(kavach == NULL);
}

int main(int argc, char **argv) {
    kavach_t *kavach = NULL;
    char *error = NULL;
    char token[128] = "";

    if (argc != 3) {
        fprintf(stderr, "usage: %s <database directory> <stateless-algorithms.json>\n", argv[0]);
        return 2;
    }
    snprintf(config, sizeof config,
             "{\"database\":{\"url\":\"file:%s/test.db\"},"
             "\"secret\":\"a-test-secret-of-at-least-thirty-two-bytes\","
             "\"base_url\":\"http://localhost:3000\","
             "\"plugins\":[{\"id\":\"passkey\",\"rp_name\":\"Test\",\"rp_id\":\"localhost\"}]}",
             argv[1]);

    test_result_names();
    test_new_and_free();
    if (kavach_new(config, &kavach, &error) != KAVACH_OK) {
        fprintf(stderr, "kavach_new: %s\n", error);
        kavach_string_free(error);
        return 1;
    }
    test_null_handles_and_out_pointers(kavach);
    test_users_and_sessions(kavach, token, sizeof token);
    test_invalid_input(kavach, token);
    test_handle(kavach, token);
    test_threads(kavach);
    kavach_free(kavach);
    test_rate_limit(argv[1]);
    test_deprecated_challenge_cap(argv[1]);
    test_algorithms(argv[2], argv[1]);

    if (failures) {
        fprintf(stderr, "test_kavach: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_kavach: all %d checks passed (%d threads x %d rounds on one kavach_t)\n", checks, THREADS, ROUNDS);
    return 0;
}
