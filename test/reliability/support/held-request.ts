import http from 'node:http';

/**
 * A request the server is provably handling but that is not finished: it is
 * sent with `Expect: 100-continue`, and `accepted` resolves when the server
 * answers `100 Continue`, i.e. it parsed the headers and handed the request
 * to the application. `finish()` then sends the body and resolves with the
 * final status.
 */
export interface HeldRequest {
  accepted: Promise<void>;
  finish(): Promise<{ status: number; body: string }>;
}

export function holdRequest(url: string, method: string, headers: Record<string, string>, body: string): HeldRequest {
  const req = http.request(url, {
    method,
    agent: false,
    headers: { ...headers, Expect: '100-continue', 'Content-Length': String(Buffer.byteLength(body)) },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  const accepted = new Promise<void>((resolve, reject) => {
    req.once('continue', () => resolve());
    req.once('error', reject);
  });
  req.flushHeaders();
  return {
    accepted,
    finish() {
      req.end(body);
      return response;
    },
  };
}
