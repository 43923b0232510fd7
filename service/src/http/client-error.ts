import type { Socket } from 'node:net';

/**
 * Requests Node's HTTP parser rejects before Express sees them (oversized headers, bytes that are
 * not HTTP) still get the JSON error shape, not an empty answer.
 */
export function rejectMalformedRequest(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({
    error: {
      code: tooLarge ? 'headers_too_large' : 'malformed_request',
      message: tooLarge ? 'request line or headers are over the size limit' : 'the request is not valid HTTP',
      details: {},
    },
  });
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
