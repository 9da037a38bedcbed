/**
 * What the courier sandbox answers to refusals and injected faults (drawn in sandbox-faults.kit):
 * 413 BODY_TOO_LARGE, 404 NOT_FOUND, 429 RATE_LIMITED with Retry-After, 500 SYSTEM_ERROR and
 * 503 SYSTEM_BUSY, in its own envelope.
 */
import { faultHandling } from '../sandbox-faults.kit.js';
import type { SandboxFaults } from '../sandbox.kit.js';
import { COURIER_CODE } from './courier.wire.js';
import { fail } from './courier-sandbox.state.js';

export type CourierSandboxFaults = SandboxFaults;

const MAX_BODY_BYTES = 1024 * 1024;

export const courierFaultHandling = faultHandling(fail, COURIER_CODE, { maxBodyBytes: MAX_BODY_BYTES, busy: '系统繁忙' });
