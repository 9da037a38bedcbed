import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YukuaibanClient } from '../../adapters/yukuaiban/yukuaiban.client.js';
import { fileUpload, generatedFile } from '../support/platform-files.kit.js';

const UPLOADS = 40;
const SIZE = 2 * 2 ** 20;

setFlagsFromString('--expose-gc');
/** A full collection, so that what is measured is what is still referenced, not garbage not yet collected. */
const gc = runInNewContext('gc') as () => void;

/**
 * A platform that reads every upload to its last byte and answers none until
 * all have arrived: each file has then left the client whole while its
 * request is still open, which is when a client holding what it sent would
 * hold all of them at once.
 */
async function startBarrierPlatform(sha256: string, allArrived: () => void) {
  const waiting: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      waiting.push(res);
      if (waiting.length < UPLOADS) return;
      allArrived();
      const receipt = JSON.stringify({ code: '0', msg: 'success', data: { wjbh: 'YKBF1', sha256, wjdx: SIZE, jssj: '20240501093000' } });
      for (const answer of waiting) answer.writeHead(201, { 'content-type': 'application/json' }).end(receipt);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('file uploads stream', () => {
  const file = generatedFile(SIZE, 7);
  let platform: Awaited<ReturnType<typeof startBarrierPlatform>>;
  let held = Number.NaN;
  beforeAll(async () => {
    platform = await startBarrierPlatform(file.sha256, () => {
      gc();
      held = process.memoryUsage().arrayBuffers;
    });
  });
  afterAll(() => {
    platform.server.closeAllConnections();
    platform.server.close();
  });

  it(`holds far less than the ${UPLOADS} × 2 MiB it has sent while their answers are pending`, async () => {
    const client = new YukuaibanClient({ baseUrl: platform.url, appKey: 'app', appSecret: 'secret', timeoutMs: 30_000 });
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const receipts = await Promise.all(Array.from({ length: UPLOADS }, (_, index) => client.uploadFile(fileUpload(`CY${index}`, file))));
    expect(receipts.every((receipt) => receipt.size === SIZE)).toBe(true);
    expect(file.stats.opened).toBe(UPLOADS);
    // fetch teeing each body into a branch nobody read held every file whole until its answer: all 80 MiB here.
    // What stays is socket and stream buffers, which vary with load (3–31 MiB seen, the most with other suites running): far from the whole 80 MiB.
    expect(held - before).toBeLessThan((UPLOADS * SIZE) / 2);
  });
});
