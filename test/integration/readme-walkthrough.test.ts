import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../lib/auth/caller.js';
import { samplePdf } from '../support/scans.kit.js';
import { DEFAULT_CALLER, staffAt, startTestStack, type TestStack } from '../support/stack.js';

/**
 * The README's walk-through, as written: its GraphQL blocks and their variables
 * are read from README.md and run in order, each with the token of the role its
 * first line names, and its shell blocks run by bash with GATEWAY, TOKEN and NO
 * set as the README says, in a directory holding a scanner's scan.pdf, so the test breaks as soon as the README drifts from what
 * the stack does. The stack's clock starts at the hour under test and runs on.
 */
interface Step {
  /** A shell block's script, run instead of an operation. */
  shell?: string;
  operation: string;
  variables: Record<string, unknown>;
  caller: Caller;
  /** `# repeat until <field> is <value>`: poll the case while the platform moves it on. */
  until: { field: string; value: string } | null;
}

function walkthroughSteps(): Step[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('### Walk-through');
  const end = readme.indexOf('<!-- end of walk-through -->');
  expect([start, end].every((at) => at >= 0) && end > start).toBe(true);
  const blocks = [...readme.slice(start, end).matchAll(/^```(graphql|json|sh)\n([\s\S]*?)^```$/gm)].map(([, lang, body]) => ({ lang, body: body! }));
  const steps: Step[] = [];
  blocks.forEach((block, i) => {
    if (block.lang === 'sh') {
      steps.push({ shell: block.body, operation: '', variables: {}, caller: callerOf(block.body), until: null });
      return;
    }
    if (block.lang !== 'graphql') return;
    const next = blocks[i + 1];
    const until = /^# repeat until (\w+) is (\w+)$/m.exec(block.body);
    steps.push({
      operation: block.body,
      variables: next?.lang === 'json' ? (JSON.parse(next.body) as Record<string, unknown>) : {},
      caller: callerOf(block.body),
      until: until ? { field: until[1]!, value: until[2]! } : null,
    });
  });
  return steps;
}

function callerOf(operation: string): Caller {
  const window = /^# as WINDOW_STAFF of (W-\d{6}-\d{2})$/m.exec(operation);
  if (window) return staffAt(window[1]!);
  const region = /^# as (JURISDICTION_STAFF|SUPERVISOR) of (CHONGQING|SICHUAN)$/m.exec(operation);
  if (region) return { subject: `readme-${region[1]!.toLowerCase()}`, role: region[1] as Caller['role'], region: region[2] as Caller['region'], windowId: null };
  throw new Error(`a walk-through block names no role on its first line:\n${operation}`);
}

/** The README writes "<businessNo from step 1>" where the case's number goes. */
function withBusinessNo(variables: Record<string, unknown>, businessNo: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(variables), (_, value: unknown) =>
    typeof value === 'string' && value.startsWith('<businessNo') ? businessNo : value,
  ) as Record<string, unknown>;
}

const STEPS = walkthroughSteps();

describe('the README walk-through, run as written', () => {
  let stack: TestStack;
  let startedAt = new Date('2025-11-25T03:00:00+08:00');
  let realStart = Date.now();

  beforeAll(async () => {
    stack = await startTestStack({ now: () => new Date(startedAt.getTime() + (Date.now() - realStart)) });
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('names the whole flow, receipt to evaluation, in order', () => {
    const mutations = STEPS.map((step) => (step.shell ? 'attachMaterialFile' : undefined) ?? /\{\s*(\w+)\(/.exec(step.operation.replace(/^#.*$/gm, ''))?.[1]);
    const flow = ['receiveApplication', 'attachMaterialFile', 'dispatchMaterials', 'confirmMaterialsReceived', 'recordResultDispatched', 'recordResultAtWindow', 'notifyApplicantForPickup', 'recordDelivered', 'evaluate'];
    expect(mutations.filter((name) => flow.includes(name!))).toEqual(flow);
  });

  for (const hour of ['03:00', '10:00']) {
    it(`takes a case from receipt to evaluation at ${hour} Beijing time on a working day (Tuesday 2025-11-25)`, async () => {
      startedAt = new Date(`2025-11-25T${hour}:00+08:00`);
      realStart = Date.now();

      if (hour === '03:00') {
        // What the README says of an ordinary window at night.
        const closed = await stack.as(DEFAULT_CALLER).query(STEPS[0]!.operation, {
          input: { ...(STEPS[0]!.variables.input as Record<string, unknown>), windowId: DEFAULT_CALLER.windowId },
        });
        expect(closed.errors?.[0]?.extensions?.code).toBe('WINDOW.CLOSED');
        expect(closed.errors?.[0]?.message).toContain('下次办公时间：2025-11-25（周二）09:00');
        expect(closed.errors?.[0]?.message).not.toContain('节假日');
      }

      let businessNo = '';
      let last: Record<string, any> = {};
      for (const step of STEPS) {
        if (step.shell) {
          const dir = mkdtempSync(join(tmpdir(), 'tongban-readme-'));
          try {
            writeFileSync(join(dir, 'scan.pdf'), await samplePdf(`readme ${hour}`));
            const env = { PATH: process.env.PATH ?? '', GATEWAY: stack.gateway.url, TOKEN: await stack.token(step.caller), NO: businessNo };
            const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', step.shell], { cwd: dir, env });
            expect(stdout, step.shell).not.toContain('"errors"');
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
          continue;
        }
        const variables = withBusinessNo(step.variables, businessNo);
        const run = () => stack.as(step.caller).query<Record<string, any>>(step.operation, variables);
        let result = await run();
        const deadline = Date.now() + 15_000;
        while (step.until && !result.errors && result.data?.case?.[step.until.field] !== step.until.value) {
          if (Date.now() > deadline) throw new Error(`${step.until.field} never became ${step.until.value}: ${JSON.stringify(result.data)}`);
          // The sandbox's step timer (SANDBOX_STEP_MS) under npm start; here the test moves the case on.
          const { platformCaseId } = await stack.workflow.get(businessNo);
          if (platformCaseId) await stack.sichuan.advance(platformCaseId);
          await new Promise((resolve) => setTimeout(resolve, 50));
          result = await run();
        }
        expect(result.errors, step.operation).toBeUndefined();
        last = result.data!;

        if (last.receiveApplication) {
          const notice = last.receiveApplication;
          expect(notice).toMatchObject({ __typename: 'ReceiptNotice', case: { stage: 'RECEIVED', clock: { status: 'ON_TRACK' } } });
          businessNo = notice.businessNo;
          // Opened as a browser would: no Authorization header, only the link.
          expect((await fetch(`${stack.gateway.url}${notice.url}`)).status).toBe(401);
          const page = await fetch(`${stack.gateway.url}${notice.printUrl}`);
          expect(page.status).toBe(200);
          const html = await page.text();
          expect(html).toContain('收件通知书');
          expect(html).toContain(businessNo);
        }
      }

      expect(businessNo).toMatch(/^TB20251125500000\d{5}$/);
      expect(last.case).toMatchObject({ stage: 'DELIVERED', decision: 'APPROVED', evaluation: { score: 5 }, clock: { status: 'STOPPED' } });
      const timeline = last.case.timeline.map((event: { type: string }) => event.type);
      expect([timeline[0], timeline.at(-1)]).toEqual(['RECEIVED', 'EVALUATED']);
      expect(timeline).toEqual(expect.arrayContaining(['MATERIALS_DISPATCHED', 'MATERIALS_RECEIVED', 'PLATFORM_DECIDED', 'RESULT_DISPATCHED', 'RESULT_DELIVERED']));
    });
  }
});
