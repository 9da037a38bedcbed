/** s3rver 3.7 ships no types; this is the part the tests use (lib/s3rver.js, a Koa application). */
declare module 's3rver' {
  import type { IncomingHttpHeaders } from 'node:http';
  import type { Readable } from 'node:stream';

  interface S3rverOptions {
    port?: number;
    address?: string;
    silent?: boolean;
    directory: string;
    configureBuckets?: Array<{ name: string }>;
  }
  /** The part of Koa's context the extensions in s3-server.ts read and write. */
  interface S3rverContext {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    /** The request's body and headers, which s3rver's controllers read from here. */
    req: Readable & { headers: IncomingHttpHeaders };
    status: number;
    body: unknown;
  }
  type S3rverMiddleware = ((ctx: S3rverContext, next: () => Promise<void>) => Promise<void>) & { router?: unknown };
  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Koa's middleware, in order; s3rver's router (the function @koa/router marks with `router`) comes last. */
    middleware: S3rverMiddleware[];
    /** lib/stores/filesystem.js: where a bucket's resources live on disk. */
    store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
