import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response';

/**
 * The one place errors become HTTP responses: `{ error: { code, message, details, request_id } }`, unknown errors
 * masked as 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    sendError(exception, request, reply);
  }
}

export function sendError(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const response = toErrorResponse(exception, String(request.id));
  if (response.unexpected) request.log.error({ err: exception }, 'unhandled error');
  else if (response.status >= 500) request.log.warn({ err: exception }, 'database unavailable');
  if (reply.sent) return;
  void reply
    .status(response.status)
    .headers({ ...response.headers, 'content-type': 'application/json; charset=utf-8' })
    .send(response.body);
}
