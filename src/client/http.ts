/**
 * The client's one way to send a request: the base URL and the API key on every request, and
 * every answer that is not a success turned into a {@link LongrunProblemError}.
 */
import type { ProblemDetails } from '../contract/resources.js';
import { LongrunProblemError } from './errors.js';

export interface HttpOptions {
  /** The API's base URL, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
  /** A fetch of your own (default: the global one). */
  fetch?: typeof globalThis.fetch | undefined;
}

export type Send = (path: string, init?: RequestInit) => Promise<Response>;

/** A `send(path, init)` that resolves only with successful (2xx or 304) answers. */
export function createSend(options: HttpOptions): Send {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  return async (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (options.apiKey && !headers.has('authorization'))
      headers.set('authorization', `Bearer ${options.apiKey}`);
    const response = await fetchImpl(`${base}${path}`, { ...init, headers });
    if (response.ok || response.status === 304) return response;
    throw new LongrunProblemError(await readProblem(response));
  };
}

/** The problem of a refusal; one made from the status when the body is not a problem (a proxy's page). */
async function readProblem(response: Response): Promise<ProblemDetails> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ProblemDetails>;
    if (typeof body.title === 'string' && typeof body.status === 'number') return body as ProblemDetails;
  } catch {
    // not JSON: described below
  }
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    ...(text && { detail: text.slice(0, 500) }),
  };
}

/** The JSON body of a successful answer. */
export async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
