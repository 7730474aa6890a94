import type { ServerResponse } from 'node:http';
import { sendJson } from './json-body.ts';

/** Every HTTP error of Allegro's servers has this body: a stable code and a readable message. */
export function sendJsonError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/** 405 for a known path asked with another method, naming the methods it has in `Allow`. */
export function sendMethodNotAllowed(res: ServerResponse, method: string | undefined, allow: string[]): void {
  res.setHeader('allow', allow.join(', '));
  sendJsonError(
    res,
    405,
    'METHOD_NOT_ALLOWED',
    `${method ?? '?'} is not allowed here; use ${allow.join(' or ')}`,
  );
}
