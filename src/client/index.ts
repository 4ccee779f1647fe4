/**
 * `longrun/client`: the typed TypeScript client of longrun's HTTP API (see the README's
 * "Client and CLI"). Its types come from the server's own schemas.
 */
export { createLongrunClient, type LongrunClient, type LongrunClientOptions } from './client.js';
export { LongrunProblemError, WebhookVerificationError } from './errors.js';
export { verifyWebhook, type VerifyWebhookOptions } from './webhooks.js';
export type * from './types.js';
