// Generated from core/src/error/codes.rs by core/tests/generated_lists.rs; do not edit.

/** Every stable code, in the core's order. Codes are never renamed or reused. */
export type ErrorCode =
  /** 401: No session, or it expired or was revoked. */
  | 'UNAUTHORIZED'
  /**
   * 400: Malformed JSON, a missing or malformed field, bad base64url, a name outside 1 to 64
   * characters.
   */
  | 'INVALID_REQUEST'
  /** 413: The body is larger than 64 KiB (refused before parsing). */
  | 'PAYLOAD_TOO_LARGE'
  /**
   * 400: The challenge is not one kavach issued (its MAC does not check under secret or any of
   * previousSecrets), expired, already used, or issued for another ceremony, user or session. Ask
   * for new options.
   */
  | 'CHALLENGE_INVALID'
  /**
   * 400: A WebAuthn check failed (400 on registration, 401 on sign-in): origin, RP ID hash, type,
   * user presence or verification, backup-eligibility change, algorithm, signature, attestation or
   * attestation policy. The message names the check. An unknown credential in a sign-in by email
   * answers this too, after the same work, so the answer never tells a real email from an unknown
   * one.
   */
  | 'VERIFICATION_FAILED'
  /** 401: The signature counter did not increase: possibly a cloned authenticator. */
  | 'COUNTER_REGRESSION'
  /** 409: The credential is already registered (to this or another user). */
  | 'CREDENTIAL_EXISTS'
  /**
   * 404: No such passkey for this user (also when it belongs to someone else), or a usernameless
   * sign-in with a credential kavach does not know.
   */
  | 'CREDENTIAL_NOT_FOUND'
  /**
   * 409: Refused to delete the user's only passkey: they would be locked out (see
   * allowDeletingLastPasskey).
   */
  | 'LAST_CREDENTIAL'
  /**
   * 403: A state-changing request whose Origin header is not an allowed origin, or that has no
   * Origin but Sec-Fetch-Site: cross-site or same-site.
   */
  | 'FORBIDDEN_ORIGIN'
  /** 404: No route at this path under basePath. */
  | 'NOT_FOUND'
  /** 405: The route exists, not with this method (Allow lists the methods). */
  | 'METHOD_NOT_ALLOWED'
  /** 409: Host API: a user with this email exists (emails compare case-insensitively). */
  | 'USER_EXISTS'
  /** 404: Host API: no user with this id. */
  | 'USER_NOT_FOUND'
  /** 500: Start-up only: the configuration is invalid; the message names the option. */
  | 'INVALID_CONFIG'
  /**
   * 500: Not the client's fault (database unavailable: 503 for PostgreSQL outages, with "database
   * unavailable"; a bug). Details go to the log hook, never into the answer.
   */
  | 'INTERNAL'
  /**
   * 429: The client (or, on the register routes, the session) sent more requests than rateLimit
   * allows; retryAfter (the Retry-After header) says when to try again.
   */
  | 'RATE_LIMITED'
  /**
   * 503: Reserved: challenges are stateless, so nothing answers it today; it would carry
   * retryAfter.
   */
  | 'TOO_MANY_CHALLENGES'
  /**
   * 403: The action needs a recent passkey check in this session (passkey.requireRecentAuth, or the
   * host's requireRecentAuth): do a step-up (authenticate/options {stepUp: true}) and try again.
   */
  | 'REAUTH_REQUIRED'
  /** 500: C ABI and Go only: a required pointer argument was NULL (a bug in the caller). */
  | 'NULL_PARAMETER'
  /** 400: C ABI and Go only: a string argument was not valid UTF-8. */
  | 'INVALID_UTF8'
  /**
   * 500: C ABI and Go only: kavach panicked and the panic was caught at the boundary (a bug in
   * kavach).
   */
  | 'PANIC';

/** Who a code is about: the client's request, the host's own call or configuration, or nobody. */
export type ErrorFamily = 'request' | 'caller' | 'internal';
