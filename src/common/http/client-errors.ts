import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode } from '../errors/app-exception';

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers or URL past the 16 KiB header limit, the
 * request timeout, malformed HTTP) are answered with the error body too, then the connection is closed.
 * Fastify's `clientErrorHandler`.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, ErrorCode.RequestTimeout, 'The request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, ErrorCode.HeadersTooLarge, 'The request line and headers exceed 16 KiB']
        : [400, ErrorCode.ValidationFailed, 'Malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message, details: [], request_id: randomUUID() } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
