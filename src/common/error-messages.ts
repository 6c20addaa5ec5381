// Messages the API sends that its OpenAPI document also shows as examples:
// one constant each, so the document cannot drift from what is sent.

export const INVALID_EMAIL = 'email must be a valid e-mail address';
export const API_KEY_REQUIRED =
  'a valid API key is required for writes (Authorization: Bearer <key> or X-API-Key)';
export const userNotFound = (id: number) => `user ${id} not found`;
export const EMAIL_TAKEN = 'email is already in use';
export const UNSUPPORTED_MEDIA_TYPE = 'content type must be application/json';
export const RATE_LIMIT_EXCEEDED =
  'rate limit exceeded, retry after the time in Retry-After';
export const INTERNAL_ERROR = 'internal server error';
export const DATABASE_UNAVAILABLE = 'database unavailable, retry later';
export const PRECONDITION_FAILED =
  'If-Match does not match the current ETag of the user';
export const PRECONDITION_REQUIRED =
  'If-Match is required for this write: send the ETag of the user, or *';
export const INVALID_IDEMPOTENCY_KEY =
  'Idempotency-Key must be 1-255 visible ASCII characters, optionally in double quotes';
export const IDEMPOTENCY_KEY_REUSED =
  'Idempotency-Key was already used with a different body';
export const IDEMPOTENCY_KEY_IN_PROGRESS =
  'a request with this Idempotency-Key is still being processed; retry later';
