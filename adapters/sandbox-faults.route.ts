/**
 * The fault control every sandbox serves on its own port, so that an outage can be rehearsed
 * against a running stack (`npm run ops -- fault …`) and not only from code: `GET /__faults`
 * reads the faults in force, `PUT /__faults` replaces them with the body's (the settings of
 * setFaults), `DELETE /__faults` clears them. Control requests are neither counted nor faulted.
 *
 * Sandboxes are development and test servers and bind loopback; the route also refuses a peer
 * that is not loopback, so a sandbox started on another address cannot be steered from outside.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { InputError } from '../domain/errors.js';
import { readBody, sendJsonReply, type SandboxFaults } from './sandbox.kit.js';

export const FAULTS_PATH = '/__faults';

const MAX_BODY_BYTES = 4096;

const rate = z.number().min(0).max(1).optional();
const faultsSchema = z.strictObject({
  errorRate: rate,
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  timeoutRate: rate,
  malformedRate: rate,
  rateLimitRate: rate,
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  dropMidFileRate: rate,
});

export const FAULT_SETTINGS = Object.keys(faultsSchema.shape) as (keyof SandboxFaults)[];

/** The fault settings in `value`, or SANDBOX.INVALID_FAULTS naming the first setting that is wrong. */
export function parseSandboxFaults(value: unknown): SandboxFaults {
  const parsed = faultsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || 'body';
  const hint = issue.code === 'unrecognized_keys' ? `unknown setting (known: ${FAULT_SETTINGS.join(', ')})` : issue.message;
  throw new InputError('SANDBOX.INVALID_FAULTS', `${where}: ${hint}`);
}

export interface FaultSwitch {
  faults(): SandboxFaults;
  setFaults(faults: SandboxFaults): void;
}

const isLoopback = (address: string | undefined) =>
  address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));

const refuse = (res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>) =>
  sendJsonReply(res, { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) });

/** Answers a request for FAULTS_PATH and resolves true; false for every other path, which the sandbox's API serves. */
export async function serveFaultControl(req: IncomingMessage, res: ServerResponse, target: FaultSwitch): Promise<boolean> {
  if (new URL(req.url ?? '/', 'http://sandbox').pathname !== FAULTS_PATH) return false;
  if (!isLoopback(req.socket.remoteAddress)) {
    refuse(res, 403, 'SANDBOX.LOOPBACK_ONLY', 'fault control answers loopback callers only');
    return true;
  }
  switch (req.method) {
    case 'GET':
      break;
    case 'DELETE':
      target.setFaults({});
      break;
    case 'PUT': {
      const raw = await readBody(req, MAX_BODY_BYTES);
      if (raw === null) {
        refuse(res, 413, 'SANDBOX.FAULTS_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`);
        return true;
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        refuse(res, 400, 'SANDBOX.INVALID_FAULTS', 'body: not JSON');
        return true;
      }
      try {
        target.setFaults(parseSandboxFaults(body));
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        refuse(res, 400, error.code, error.message);
        return true;
      }
      break;
    }
    default:
      refuse(res, 405, 'SANDBOX.METHOD_NOT_ALLOWED', `${req.method} ${FAULTS_PATH}: use GET, PUT or DELETE`, { allow: 'GET, PUT, DELETE' });
      return true;
  }
  sendJsonReply(res, { status: 200, body: { faults: target.faults() } });
  return true;
}
