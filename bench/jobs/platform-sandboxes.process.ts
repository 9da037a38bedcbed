/**
 * The platform sandboxes (渝快办, 四川一体化, 政务专递) as a child process of bench/run.ts:
 * in production the platforms are other machines, so their CPU must not count
 * against the worker's event loop. No webhooks, no stage steps, no faults.
 */
import { startCourierSandbox, type CourierSandbox } from '../../adapters/courier/courier.sandbox.js';
import { startSichuanSandbox, type SichuanSandbox } from '../../adapters/sichuan/sichuan.sandbox.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
let bare: Server | undefined;
/** What 渝快办 answers an intake with, in shape: the bare server sends it without looking at the request. */
const BARE_ANSWER = JSON.stringify({ code: '0', msg: '成功', data: { bjbh: 'YKB2025112400000001', zt: '01' } });

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
    /**
     * An HTTP server that reads each request whole and answers it at once with a
     * fixed body: the least a platform could do, for the benchmark's bare path.
     */
    startBare: async (): Promise<string> => {
      if (!bare) {
        const server = createServer((req, res) => {
          req.resume();
          req.on('end', () => res.writeHead(201, { 'content-type': 'application/json; charset=utf-8' }).end(BARE_ANSWER));
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        bare = server;
      }
      return `http://127.0.0.1:${(bare.address() as AddressInfo).port}/api/v1/cases`;
    },
    cpuUsage: () => process.cpuUsage(),
  },
  async () => {
    bare?.closeAllConnections();
    bare?.close();
    if (!running) return;
    await Promise.all([running.yukuaiban.close(), running.sichuan.close(), running.courier.close()]);
  },
);
