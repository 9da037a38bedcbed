import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { InboundWebhook, PlatformEvent, PlatformFileUpload } from '../../adapters/platform.port.js';

const CHUNK = 64 * 1024;

/** Byte `i` of a generated file: a cheap function of the seed and the offset, so no test holds a large file. */
function chunkAt(seed: number, offset: number, length: number): Buffer {
  const chunk = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += 1) chunk[i] = (seed * 31 + ((offset + i) * 2654435761) / 4096) & 0xff;
  return chunk;
}

/** A generated file of `size` bytes, streamed in 64 KiB chunks; `opened` counts the streams opened, `largestChunk` the biggest chunk handed out. */
export function generatedFile(size: number, seed = 1) {
  const stats = { opened: 0, largestChunk: 0 };
  function* chunks() {
    for (let offset = 0; offset < size; offset += CHUNK) yield chunkAt(seed, offset, Math.min(CHUNK, size - offset));
  }
  const stream = () =>
    Readable.from(
      (function* () {
        for (const chunk of chunks()) {
          stats.largestChunk = Math.max(stats.largestChunk, chunk.length);
          yield chunk;
        }
      })(),
    );
  const hash = createHash('sha256');
  for (const chunk of chunks()) hash.update(chunk);
  return { size, sha256: hash.digest('hex'), stats, stream };
}

export function fileUpload(businessNo: string, file: ReturnType<typeof generatedFile>, overrides: Partial<PlatformFileUpload> = {}): PlatformFileUpload {
  return {
    businessNo,
    material: '营业执照',
    sha256: file.sha256,
    size: file.size,
    contentType: 'application/pdf',
    open: async () => {
      file.stats.opened += 1;
      return file.stream();
    },
    ...overrides,
  };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function body(req: IncomingMessage): Promise<Buffer> {
  return readAll(req);
}

/** A push receiver as the gateway runs one: verify, then 204; what it took is in `events`. */
export async function startPushReceiver(verify: (webhook: InboundWebhook) => Promise<PlatformEvent>) {
  const events: PlatformEvent[] = [];
  const server = createServer(async (req, res) => {
    try {
      events.push(await verify({ headers: req.headers, rawBody: await body(req) }));
      res.writeHead(204).end();
    } catch {
      res.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
