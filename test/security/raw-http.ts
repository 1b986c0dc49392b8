import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json(): Record<string, unknown>;
}

/**
 * One HTTP/1.1 request written byte for byte on a socket: fetch and node:http refuse (or silently
 * percent-encode) NUL and non-UTF-8 bytes in paths and headers, which is what these tests must send.
 */
export function rawRequest(
  baseUrl: string,
  head: Buffer | string,
  body: Buffer = Buffer.alloc(0),
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.end(Buffer.concat([Buffer.isBuffer(head) ? head : Buffer.from(head, 'latin1'), body]));
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/** A request head: `method path HTTP/1.1`, Host, Connection: close, the given headers and Content-Length. */
export function requestHead(
  method: string,
  path: Buffer | string,
  headers: Array<[string, Buffer | string]> = [],
  bodyLength = 0,
): Buffer {
  const line = (text: Buffer | string) => (Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'));
  const parts = [line(`${method} `), line(path), line(' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n')];
  for (const [name, value] of headers) parts.push(line(`${name}: `), line(value), line('\r\n'));
  if (bodyLength > 0 || method === 'POST') parts.push(line(`Content-Length: ${bodyLength}\r\n`));
  parts.push(line('\r\n'));
  return Buffer.concat(parts);
}

function parse(raw: Buffer): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no HTTP response: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const headerLine of lines) {
    const colon = headerLine.indexOf(':');
    headers[headerLine.slice(0, colon).trim().toLowerCase()] = headerLine.slice(colon + 1).trim();
  }
  let body = raw.subarray(split + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  const text = body.toString('utf8');
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.subarray(at, end).toString('latin1'), 16);
    if (!size) return Buffer.concat(out);
    out.push(body.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
}
