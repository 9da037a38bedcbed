import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore as TusFileStore } from '@tus/file-store';
import type { DataStore } from '@tus/server';
import type { Config } from '../config.js';
import { DiskFileStore } from './disk.store.js';
import type { FileStore } from './file-store.js';
import { createS3Client, S3FileStore, s3ClientConfig } from './s3.store.js';
import { TusS3Store } from './tus-s3.store.js';

type StoreSettings = Config['files']['store'];

/** Both tus stores can hand a finished upload back as a stream; DataStore itself does not say so. */
export type TusDatastore = DataStore & { read(id: string): Readable | Promise<Readable> };

export function createFileStore(settings: StoreSettings): FileStore {
  return settings.kind === 'disk' ? new DiskFileStore(settings.directory) : new S3FileStore(createS3Client(settings), settings.bucket);
}

/**
 * Where tus keeps uploads in progress, beside the finished files: on disk in
 * `uploads/` of the data directory (no two-hex-digit name, so no clash with the
 * `ab/cd/` layout), in S3 at `<upload id>` and `<upload id>.info` of the same
 * bucket, so that every gateway replica can resume any upload.
 */
export function createTusDatastore(settings: StoreSettings, expirationPeriodInMilliseconds: number, stagingDir?: string): TusDatastore {
  // A local staging directory serves one gateway (or sticky sessions), and S3-compatible servers without ListParts.
  if (stagingDir) return new TusFileStore({ directory: stagingDir, expirationPeriodInMilliseconds });
  if (settings.kind === 'disk') return new TusFileStore({ directory: join(settings.directory, 'uploads'), expirationPeriodInMilliseconds });
  return new TusS3Store({
    expirationPeriodInMilliseconds,
    s3ClientConfig: { ...s3ClientConfig(settings), bucket: settings.bucket },
  });
}
