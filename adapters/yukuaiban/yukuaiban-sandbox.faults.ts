/**
 * What the 渝快办 sandbox answers to refusals and injected faults (drawn in sandbox-faults.kit):
 * 413 40003, 404 40400, 429 42900 with Retry-After, 500 50000 and 503 50300, each with a
 * business envelope.
 */
import { faultHandling } from '../sandbox-faults.kit.js';
import type { SandboxFaults } from '../sandbox.kit.js';
import { YKB_CODE } from './yukuaiban.wire.js';
import { fail } from './yukuaiban-sandbox.state.js';

export type YukuaibanSandboxFaults = SandboxFaults;

const MAX_BODY_BYTES = 1024 * 1024;

export const yukuaibanFaultHandling = faultHandling(
  fail,
  { ...YKB_CODE, systemError: YKB_CODE.internal, systemBusy: YKB_CODE.unavailable },
  { maxBodyBytes: MAX_BODY_BYTES, busy: '服务暂不可用' },
);
