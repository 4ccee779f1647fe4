/**
 * Requests Node's HTTP parser refuses before any route sees them (headers past the size limit,
 * a NUL or control byte in a header, a malformed request line) get a problem+json answer too,
 * instead of Node's bare `400`/`431`. Install on the server `serve()` returns.
 */
import type { Socket } from 'node:net';
import type { ProblemDetails } from '../contract/resources.js';
import { ProblemType } from '../contract/problem-types.js';

/** The `clientError` event of an HTTP/1 server (`serve()` may also return an HTTP/2 one). */
interface ClientErrorSource {
  on(event: 'clientError', listener: (err: NodeJS.ErrnoException, socket: Socket) => void): unknown;
}

export function answerClientErrors(server: unknown): void {
  (server as ClientErrorSource).on('clientError', (err, socket) => {
    // A connection reset, or one whose answer has begun: nothing sensible can be written.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const problem: ProblemDetails =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? {
            type: ProblemType.HeadersTooLarge,
            title: 'Request header fields too large',
            status: 431,
            detail: 'The request headers are larger than the server accepts (16 KiB).',
          }
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? { type: ProblemType.MalformedRequest, title: 'Request timeout', status: 408 }
          : {
              type: ProblemType.MalformedRequest,
              title: 'Malformed request',
              status: 400,
              detail: 'The request is not valid HTTP/1.1 (e.g. a control character in a header).',
            };
    const body = JSON.stringify(problem);
    const reason = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[
      problem.status as 400 | 408 | 431
    ];
    socket.end(
      `HTTP/1.1 ${problem.status} ${reason}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
