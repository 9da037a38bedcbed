import { S3Store, type MetadataValue, type Options } from '@tus/s3-store';
import { ERRORS, type KvStore } from '@tus/server';

/** What S3 answers for a key or a multipart upload that is not there (an upload completed or aborted is no longer one). */
const isMissing = (error: unknown, codes: readonly string[]) =>
  typeof error === 'object' && error !== null && 'name' in error && codes.includes((error as { name: string }).name);

/**
 * Keeps nothing: the store's default cache holds each upload's `.info` in the memory of the
 * process that read it, so once another process removed the upload (the workers' sweep, the
 * gateway replica that took the last PATCH) a HEAD here still found it, read NoSuchUpload from
 * ListParts as "completed" and answered 200 with the offset at its length.
 */
const UNCACHED: KvStore<MetadataValue> = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => undefined,
};

/**
 * @tus/s3-store reading each upload's metadata from the bucket every time (see UNCACHED: a
 * small GET per call, against uploads in parts of megabytes), with a `remove` that finishes its work. The package's (2.0.7) aborts the
 * multipart upload first and, when S3 answers NoSuchUpload, gives up: so removing an upload
 * once complete (every finished scan, removed after its check) failed its last PATCH with 404
 * and left the assembled object and its `.info` in the bucket. Nor did it delete `<id>.part`,
 * where a PATCH shorter than a part (5 MiB) waits for the next: an upload abandoned after one
 * kept those bytes. Here the abort may find nothing to abort, and all three keys go.
 */
export class TusS3Store extends S3Store {
  constructor(options: Omit<Options, 'cache'>) {
    super({ ...options, cache: UNCACHED });
  }

  override async remove(id: string): Promise<void> {
    let uploadId: string;
    try {
      ({ 'upload-id': uploadId } = await this.getMetadata(id));
    } catch (error) {
      if (isMissing(error, ['NoSuchKey', 'NotFound'])) throw ERRORS.FILE_NOT_FOUND;
      throw error;
    }
    try {
      await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: id, UploadId: uploadId });
    } catch (error) {
      if (!isMissing(error, ['NoSuchUpload'])) throw error;
    }
    await this.client.deleteObjects({
      Bucket: this.bucket,
      Delete: { Objects: [{ Key: id }, { Key: this.infoKey(id) }, { Key: this.partKey(id, true) }] },
    });
    await this.clearCache(id);
  }
}
