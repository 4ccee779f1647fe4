/** The tests' one check of an RFC 9457 problem answer (`application/problem+json`). */
import assert from 'node:assert/strict';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { pointer?: string; parameter?: string; header?: string; detail: string }[];
}

/** An answer as any of the tests' clients see it: `app.request()`, fetch, or a raw socket. */
export interface AnswerLike {
  status: number;
  contentType: string | null | undefined;
  body: unknown;
}

/**
 * What is wrong with `answer` as a problem answer: its status (`expected`, or any 4xx when
 * `expected` is omitted), its content type, and a body with that status, a type and a title.
 * Empty when it is right.
 */
export function problemIssues(answer: AnswerLike, expected?: number): string[] {
  const issues: string[] = [];
  if (expected !== undefined ? answer.status !== expected : answer.status < 400 || answer.status > 499)
    issues.push(`status ${answer.status}, expected ${expected ?? 'a 4xx'}`);
  if (answer.contentType !== 'application/problem+json') issues.push(`content-type ${answer.contentType}`);
  const body = answer.body as Partial<ProblemBody> | undefined;
  if (
    typeof body !== 'object' ||
    body === null ||
    body.status !== answer.status ||
    typeof body.type !== 'string' ||
    body.type.length === 0 ||
    typeof body.title !== 'string' ||
    body.title.length === 0
  )
    issues.push(`body ${JSON.stringify(answer.body)?.slice(0, 200)}`);
  return issues;
}

/** Assert a problem answer with `status`; returns its body. */
export function assertProblem(answer: AnswerLike, status?: number, message = ''): ProblemBody {
  const issues = problemIssues(answer, status);
  assert.deepEqual(issues, [], `${message ? `${message}: ` : ''}not a proper problem answer`);
  return answer.body as ProblemBody;
}

/**
 * Assert that `response` is a problem answer with `status`, and return its body. Takes a fetch
 * or `app.request()` `Response` (its body is read) or an answer of test/support/api-client.ts.
 */
export async function expectProblem(
  response: Response | { status: number; headers: Headers; body: unknown },
  status: number,
  message?: string,
): Promise<ProblemBody> {
  const body: unknown =
    response instanceof Response ? await response.text().then((text) => parseOrText(text)) : response.body;
  return assertProblem(
    { status: response.status, contentType: response.headers.get('content-type'), body },
    status,
    message,
  );
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
