/** Small HTTP helpers for end-to-end tests: real requests to a real API. */
import type { ProcessResource } from '../../src/contract/resources.js';

export interface JsonResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export async function requestJson<T = ProcessResource>(
  url: string,
  init: RequestInit = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}

export function startProcess(apiUrl: string, body: unknown): Promise<JsonResponse<ProcessResource>> {
  return requestJson(`${apiUrl}/processes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
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
  const deadline = Date.now() + timeoutMs;
  let last: JsonResponse<ProcessResource> | undefined;
  for (;;) {
    last = await requestJson(url);
    onEach?.(last.body, last.status);
    if (until(last.body, last.status)) return last.body;
    if (Date.now() > deadline) {
      throw new Error(
        `gave up polling ${url} after ${timeoutMs} ms; last answer ${last.status}: ${JSON.stringify(last.body)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const isTerminal = (resource: ProcessResource): boolean =>
  resource.status === 'succeeded' || resource.status === 'failed' || resource.status === 'canceled';
