/**
 * What the notification gateway sandbox answers to refusals and injected faults (drawn in
 * sandbox-faults.kit): errors are 500 SYSTEM_ERROR or 503 SYSTEM_BUSY and 429 is RATE_LIMITED,
 * all without processing the request; a malformed answer means the message was sent and the
 * answer lost.
 */
import { faultHandling } from '../sandbox-faults.kit.js';
import type { SandboxFaults } from '../sandbox.kit.js';
import { NOTIFY_CODE } from './notify.wire.js';
import { fail } from './notify-sandbox.state.js';

export type NotifySandboxFaults = SandboxFaults;

const MAX_BODY_BYTES = 64 * 1024;

export const notifyFaultHandling = faultHandling(fail, NOTIFY_CODE, { maxBodyBytes: MAX_BODY_BYTES, busy: '系统繁忙' });
