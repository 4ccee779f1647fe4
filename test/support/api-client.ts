/**
 * The tests' one client of the HTTP API: real requests to a real API (or, through
 * {@link jsonRequest}, the same requests to `app.request()` in unit tests).
 */
import { eventually } from '../../scripts/launcher.js';
import { isTerminal } from '../../src/contract/process-status.js';
import type { ProcessResource } from '../../src/contract/resources.js';

export interface JsonResponse<T = ProcessResource> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions extends RequestInit {
  /** Give up (reject) after this long; default: never. */
  timeoutMs?: number;
  /** The API key (or browser token) to send; `null`: none. Default: {@link useApiKey}'s. */
  apiKey?: string | null;
}

let defaultApiKey: string | undefined;

/**
 * The key every request of this client sends unless it names its own `Authorization` (the test
 * stack sets its default tenant's key, which has every scope).
 */
export function useApiKey(secret: string | undefined): void {
  defaultApiKey = secret;
}

/** `Authorization: Bearer …` for raw `fetch` calls: the default key, or `secret`. */
export function authHeaders(secret: string | undefined = defaultApiKey): Record<string, string> {
  return secret === undefined ? {} : { authorization: `Bearer ${secret}` };
}

/** `init`'s headers with the key added, unless they name their own `Authorization`. */
export function withApiKey(
  init: RequestInit = {},
  apiKey: string | null | undefined = defaultApiKey,
): RequestInit {
  const headers = new Headers(init.headers);
  if (apiKey !== null && apiKey !== undefined && !headers.has('authorization')) {
    headers.set('authorization', `Bearer ${apiKey}`);
  }
  return { ...init, headers };
}

/** Send a request and parse the JSON answer (`undefined` for an empty body). */
export async function requestJson<T = ProcessResource>(
  url: string,
  { timeoutMs, apiKey, ...init }: RequestOptions = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(url, {
    ...withApiKey(init, apiKey === undefined ? defaultApiKey : apiKey),
    ...(timeoutMs !== undefined && { signal: AbortSignal.timeout(timeoutMs) }),
  });
  const text = await response.text();
  let body: T;
  try {
    body = (text ? JSON.parse(text) : undefined) as T;
  } catch {
    throw new Error(
      `${init.method ?? 'GET'} ${url}: ${response.status} with a body that is not JSON: ${text}`,
    );
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * A JSON `POST`: `body` is serialized, unless it is already a string, bytes or a stream (to send
 * malformed or streamed input as is); `headers` win over the JSON content type.
 */
export function jsonRequest(body: unknown, headers: Record<string, string> = {}): RequestInit {
  const raw =
    body === undefined ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ReadableStream;
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw ? (body as RequestInit['body']) : JSON.stringify(body),
    ...(body instanceof ReadableStream && { duplex: 'half' }),
  };
}

export function postJson<T = ProcessResource>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  options: Pick<RequestOptions, 'timeoutMs'> = {},
): Promise<JsonResponse<T>> {
  return requestJson<T>(url, { ...jsonRequest(body, headers), ...options });
}

/** `POST /processes`. */
export function startProcess(
  apiUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return postJson(`${apiUrl}/processes`, body, headers);
}

/** `POST {process}/cancel`. */
export function cancelProcess(processUrl: string): Promise<JsonResponse> {
  return requestJson(`${processUrl}/cancel`, { method: 'POST' });
}

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Called with every answer, e.g. to record progress. */
  onEach?: (resource: ProcessResource, status: number) => void;
}

/** Poll a process until `until` holds; fails with the last answer when the time is up. */
export async function pollProcess(
  url: string,
  until: (resource: ProcessResource, status: number) => boolean,
  { timeoutMs = 60_000, intervalMs = 200, onEach }: PollOptions = {},
): Promise<ProcessResource> {
  const last = await eventually(
    () => requestJson(url),
    (answer) => {
      onEach?.(answer.body, answer.status);
      return until(answer.body, answer.status);
    },
    {
      timeoutMs,
      intervalMs,
      what: `polling ${url}`,
      show: (answer) => `answer ${answer.status}: ${JSON.stringify(answer.body)}`,
    },
  );
  return last.body;
}

/** Poll a process until it has ended. */
export const pollUntilEnded = (url: string, options?: PollOptions): Promise<ProcessResource> =>
  pollProcess(url, (resource) => isTerminal(resource.status), options);

/** The step a `delay` runner reported last (its progress message reads `step N/M`); 0 before any. */
export const stepOf = (resource: ProcessResource): number =>
  Number(/^step (\d+)\//.exec(resource.progress.message)?.[1] ?? 0);
