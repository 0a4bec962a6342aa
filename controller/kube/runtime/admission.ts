// A validating admission webhook endpoint: HTTPS, AdmissionReview v1 in and out. The handler
// decides; this file knows nothing of orgplane. Requests that are not AdmissionReviews get 400.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The parts of an AdmissionRequest (admission.k8s.io/v1) a validator reads. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  namespace?: string;
  name?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo?: { username?: string; groups?: string[] };
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionDecision {
  allowed: boolean;
  /** Shown by kubectl on a denial ("admission webhook ... denied the request: MESSAGE"). */
  message?: string;
  /** Shown by kubectl as "Warning: ..." lines, allowed or not. */
  warnings?: string[];
}

export type AdmissionHandler = (req: AdmissionRequest) => Promise<AdmissionDecision> | AdmissionDecision;

/** The AdmissionReview response for one request. */
export function admissionResponse(uid: string, d: AdmissionDecision): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: d.allowed,
      ...(d.allowed ? {} : { status: { code: 403, reason: 'Forbidden', message: d.message ?? 'denied' } }),
      ...(d.warnings?.length ? { warnings: d.warnings } : {}),
    },
  };
}

const MAX_BODY = 8 << 20;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export interface AdmissionServerOptions {
  port: number;
  host?: string;
  cert: string;
  key: string;
  handler: AdmissionHandler;
  onError?: (err: unknown) => void;
}

export class AdmissionServer {
  private server?: Server;

  constructor(private readonly o: AdmissionServerOptions) {}

  async start(): Promise<number> {
    const server = createServer({ cert: this.o.cert, key: this.o.key }, (req, res) => {
      void this.serve(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host ?? '0.0.0.0', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      reply(res, 405, { message: 'POST an AdmissionReview' });
      return;
    }
    let review: { request?: AdmissionRequest };
    try {
      review = JSON.parse(await readBody(req)) as { request?: AdmissionRequest };
    } catch (err) {
      reply(res, 400, { message: `not an AdmissionReview: ${(err as Error).message}` });
      return;
    }
    const request = review.request;
    if (!request || typeof request.uid !== 'string') {
      reply(res, 400, { message: 'AdmissionReview without request.uid' });
      return;
    }
    try {
      reply(res, 200, admissionResponse(request.uid, await this.o.handler(request)));
    } catch (err) {
      this.o.onError?.(err);
      reply(res, 500, { message: `webhook failed: ${(err as Error).message}` });
    }
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections?.();
  }
}
