/**
 * The platform sandboxes (渝快办, 四川一体化, 政务专递) as a child process of bench/run.ts:
 * in production the platforms are other machines, so their CPU must not count
 * against the worker's event loop. No webhooks, no stage steps, no faults.
 */
import { startCourierSandbox, type CourierSandbox } from '../../adapters/courier/courier.sandbox.js';
import { startSichuanSandbox, type SichuanSandbox } from '../../adapters/sichuan/sichuan.sandbox.js';
import { startYukuaibanSandbox, type YukuaibanSandbox } from '../../adapters/yukuaiban/yukuaiban.sandbox.js';
import { serveParent } from '../child.ipc.js';

export interface SandboxCredentials {
  yukuaiban: { appKey: string; appSecret: string };
  sichuan: { appId: string; appSecret: string };
  courier: { partnerId: string; secret: string };
}

export interface SandboxUrls {
  yukuaiban: string;
  sichuan: string;
  courier: string;
}

let running: { yukuaiban: YukuaibanSandbox; sichuan: SichuanSandbox; courier: CourierSandbox } | undefined;

function sandboxes() {
  if (!running) throw new Error('the sandboxes were not started');
  return running;
}

serveParent(
  {
    start: async (credentials: SandboxCredentials): Promise<SandboxUrls> => {
      running ??= {
        yukuaiban: await startYukuaibanSandbox({ port: 0, ...credentials.yukuaiban }),
        sichuan: await startSichuanSandbox({ port: 0, ...credentials.sichuan }),
        courier: await startCourierSandbox({ port: 0, ...credentials.courier }),
      };
      return { yukuaiban: running.yukuaiban.url, sichuan: running.sichuan.url, courier: running.courier.url };
    },
    /** The business number of every case 渝快办 holds, one entry per platform case. */
    yukuaibanCases: () => sandboxes().yukuaiban.cases().map((record) => record.ywbh),
    yukuaibanRequests: () => sandboxes().yukuaiban.requestCounts(),
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    if (!running) return;
    await Promise.all([running.yukuaiban.close(), running.sichuan.close(), running.courier.close()]);
  },
);
