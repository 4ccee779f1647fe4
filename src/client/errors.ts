/** The errors the client throws. */
import type { ProblemDetails } from '../contract/resources.js';

/**
 * The API refused a request: it answered a problem (RFC 9457, `application/problem+json`). Every
 * refusal throws this class; `problem` is the body as the server sent it (`errors` locate the
 * invalid parts of the request), `status` its HTTP status.
 */
export class LongrunProblemError extends Error {
  override readonly name = 'LongrunProblemError';
  readonly status: number;
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(`${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.status = problem.status;
    this.problem = problem;
  }
}

/** A webhook whose signature, id or timestamp does not verify (see `verifyWebhook`). */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}
