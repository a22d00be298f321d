// The dashboard's HTTP server (node:http): the static page, its bundled JS/CSS and the broker's WebSocket URL; no credentials ever pass through it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pageAssets } from './bundle.ts';
import { WORKER_URL } from './web/connection-protocol.ts';

export interface DashboardOptions {
  /** Interface to listen on (default 127.0.0.1: the page can command robots, so it is not exposed unless asked). */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The broker's MQTT-over-WebSocket URL as the browser must reach it (ws:// or wss://). */
  brokerWsUrl: string;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

interface Asset { type: string; body: Buffer; gz: Buffer }

export function checkBrokerWsUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`broker WebSocket URL "${url}": not a URL (expected e.g. ws://127.0.0.1:9001)`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`broker WebSocket URL "${url}": the browser needs ws:// or wss://, not ${u.protocol}//`);
  return u;
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const broker = checkBrokerWsUrl(o.brokerWsUrl);
  const page = await pageAssets();
  const asset = (type: string, body: Buffer): Asset => ({ type, body, gz: gzipSync(body) });
  const routes = new Map<string, Asset>([
    ['/', asset('text/html; charset=utf-8', page.html)],
    ['/app.js', asset('text/javascript; charset=utf-8', page.js)],
    ['/app.css', asset('text/css; charset=utf-8', page.css)],
    [WORKER_URL, asset('text/javascript; charset=utf-8', page.worker)],
    ['/config.json', asset('application/json', Buffer.from(JSON.stringify({ broker_ws_url: o.brokerWsUrl, version: process.env.npm_package_version ?? '0' })))],
  ]);
  // The page talks to this server and to the broker, nothing else: no inline script, no third-party origin.
  const csp = [
    "default-src 'self'",
    `connect-src 'self' ${broker.origin}`,
    "img-src 'self' data:",
    // The MQTT connection runs in a worker of ours ('self'). mqtt.js would keep its keepalive timer in a blob worker on a
    // page's main thread; in a worker it uses the worker's own timers, so blob: is no longer needed.
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const a = routes.get(path === '/index.html' ? '/' : path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!a) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? a.gz : a.body;
    res.writeHead(200, {
      'content-type': a.type,
      'content-length': body.length,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      vary: 'accept-encoding',
      'cache-control': 'no-store',
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}/`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
