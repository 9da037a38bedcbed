import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { objectStreamBomb } from '../support/file-fixtures.js';
import { application } from '../support/process.kit.js';
import { samplePdf, scanMaterials, tusClient } from '../support/scans.kit.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';

const SICHUAN_WATER = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const RECEIVING = staffAt('W-500000-01');
/** Another window of the receiving window's division, so of its ledger partition: the window itself must match. */
const OTHER_WINDOW = staffAt('W-500000-24');
/** A window of another division, whose uploads wait in another partition. */
const OTHER_DIVISION = staffAt('W-510000-01');
const SCANS = /* GraphQL */ `
  query ($no: ID!) { case(businessNo: $no) { stage materialsWithoutScan scans { material sha256 size type pages platformFileId } } }
`;
const ATTACH = /* GraphQL */ `
  mutation ($no: ID!, $material: String!, $uploadId: ID!) {
    attachMaterialFile(businessNo: $no, material: $material, uploadId: $uploadId) { materialsWithoutScan scans { material sha256 } }
  }
`;
const REMOVE = /* GraphQL */ `
  mutation ($no: ID!, $material: String!, $sha256: String!) {
    removeMaterialFile(businessNo: $no, material: $material, sha256: $sha256) { materialsWithoutScan scans { material sha256 } }
  }
`;
const DISPATCH = /* GraphQL */ `
  mutation ($no: ID!, $channel: TransferChannel!) { dispatchMaterials(businessNo: $no, channel: $channel) { stage } }
`;

describe('material scans: uploaded over tus through the gateway, bound to the case, required to travel online', () => {
  let stack: TestStack;
  const now = new Date('2025-11-24T10:00:00+08:00');

  beforeAll(async () => {
    stack = await startTestStack({ now: () => now });
  });

  afterAll(async () => {
    await stack?.close();
  });

  async function received(): Promise<string> {
    return (await stack.workflow.receiveApplication(application(SICHUAN_WATER, RECEIVING.windowId!, '李四'), 'test')).record.businessNo;
  }

  async function uploaded(bytes: Buffer, by = RECEIVING, chunk = 1024) {
    const { uploadId, last } = await tusClient(stack.gateway.url, await stack.token(by)).upload(bytes, chunk);
    expect(last.status).toBe(204);
    return { uploadId, sha256: last.headers.get('tongban-file-sha256') };
  }

  it('resumes an interrupted upload, binds it once, and shows the review what is still unscanned', async () => {
    const no = await received();
    const [first, second] = SICHUAN_WATER.materials.map((material) => material.name);
    const before = await stack.as(RECEIVING).query<any>(SCANS, { no });
    expect(before.data.case.materialsWithoutScan).toEqual(SICHUAN_WATER.materials.map((material) => material.name));

    const pdf = await samplePdf('营业执照', 3);
    const client = tusClient(stack.gateway.url, await stack.token(RECEIVING));
    const created = await client.create(pdf.length, '营业执照.pdf');
    expect(created.status).toBe(201);
    const half = Math.floor(pdf.length / 2);
    expect((await client.patch(created.uploadUrl!, 0, pdf.subarray(0, half))).status).toBe(204);
    // The link dropped here: the client asks where to go on, and sends the rest.
    expect(await client.offset(created.uploadUrl!)).toBe(half);
    const finished = await client.patch(created.uploadUrl!, half, pdf.subarray(half));
    expect(finished.status).toBe(204);
    const uploadId = created.uploadUrl!.split('/').pop()!;

    const attached = await stack.as(RECEIVING).query<any>(ATTACH, { no, material: first, uploadId });
    expect(attached.errors).toBeUndefined();
    expect(attached.data.attachMaterialFile.scans).toEqual([{ material: first, sha256: finished.headers.get('tongban-file-sha256') }]);
    expect(attached.data.attachMaterialFile.materialsWithoutScan).not.toContain(first);
    const read = await stack.as(RECEIVING).query<any>(SCANS, { no });
    expect(read.data.case.scans[0]).toMatchObject({ type: 'PDF', pages: 3, size: pdf.length, platformFileId: null });

    // A retry whose first answer was lost finds its scan; the same upload on another material is gone.
    const retried = await stack.as(RECEIVING).query<any>(ATTACH, { no, material: first, uploadId });
    expect(retried.data.attachMaterialFile.scans).toHaveLength(1);
    const again = await stack.as(RECEIVING).query<any>(ATTACH, { no, material: second, uploadId });
    expect(again.errors?.[0]?.extensions?.code).toBe('FILE.UPLOAD_NOT_FOUND');
    expect((await stack.workflow.get(no)).scans).toHaveLength(1);
  });

  it('binds one upload once when attaches race for it, to one case and one material', async () => {
    const cases = [await received(), await received()];
    const names = SICHUAN_WATER.materials.map((material) => material.name);
    const { uploadId } = await uploaded(await samplePdf('raced'));
    const attempts = cases.flatMap((no) => names.map((material) => ({ no, material })));
    const answers = await Promise.all(attempts.map((variables) => stack.as(RECEIVING).query<any>(ATTACH, { ...variables, uploadId })));
    expect(answers.filter((answer) => !answer.errors)).toHaveLength(1);
    expect(new Set(answers.flatMap((answer) => answer.errors ?? []).map((error: any) => error.extensions.code))).toEqual(new Set(['FILE.UPLOAD_NOT_FOUND']));
    const bound = (await Promise.all(cases.map((no) => stack.workflow.get(no)))).flatMap((record) => record.scans ?? []);
    expect(bound).toHaveLength(1);
  });

  it('lets the two windows download a scan through a short-lived link, each download audited, and nobody else', async () => {
    const no = await received();
    const [first] = SICHUAN_WATER.materials.map((material) => material.name);
    const pdf = await samplePdf('download me', 2);
    const { uploadId, sha256 } = await uploaded(pdf);
    await stack.as(RECEIVING).query<any>(ATTACH, { no, material: first, uploadId });
    const LINKS = 'query ($no: ID!) { case(businessNo: $no) { scans { sha256 downloadUrl } } }';
    const jurisdiction = staffAt((await stack.workflow.get(no)).jurisdictionWindowId, 'JURISDICTION_STAFF');
    const [mine, theirs, supervisor] = await Promise.all([
      stack.as(RECEIVING).query<any>(LINKS, { no }),
      stack.as(jurisdiction).query<any>(LINKS, { no }),
      stack.as({ ...staffAt('W-500000-01', 'SUPERVISOR'), windowId: null }).query<any>(LINKS, { no }),
    ]);
    expect(supervisor.data?.case?.scans?.[0]?.downloadUrl ?? null).toBeNull();
    for (const answer of [mine, theirs]) {
      const [scan] = answer.data.case.scans;
      expect(scan.sha256).toBe(sha256);
      const response = await fetch(`${stack.gateway.url}${scan.downloadUrl}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/pdf');
      expect(response.headers.get('content-disposition')).toContain('attachment');
      expect(Buffer.from(await response.arrayBuffer()).equals(pdf)).toBe(true);
    }
    const downloads = (await stack.store.events(no)).filter((event) => event.type === 'PERSONAL_DATA_READ' && event.data.purpose === 'DOWNLOAD_FILE');
    expect(downloads.map((event) => event.actor).sort()).toEqual([`${RECEIVING.role}:${RECEIVING.subject}`, `${jurisdiction.role}:${jurisdiction.subject}`].sort());

    const url: string = mine.data.case.scans[0].downloadUrl;
    const altered = url.replace(sha256!, '0'.repeat(64));
    expect((await fetch(`${stack.gateway.url}${altered}`)).status).toBe(401);
    expect((await fetch(`${stack.gateway.url}${url.split('?')[0]}`)).status).toBe(401);
  });

  it('refuses an online dispatch while a material has no scan, and changes nothing', async () => {
    const no = await received();
    const [first] = SICHUAN_WATER.materials.map((material) => material.name);
    const { uploadId } = await uploaded(await samplePdf('one'));
    await stack.as(RECEIVING).query<any>(ATTACH, { no, material: first, uploadId });
    for (const channel of ['ONLINE', 'BOTH']) {
      const refused = await stack.as(RECEIVING).query<any>(DISPATCH, { no, channel });
      expect(refused.errors?.[0]?.extensions?.code).toBe('CASE.SCANS_MISSING');
    }
    const unchanged = await stack.workflow.get(no);
    expect(unchanged.stage).toBe('RECEIVED');
    expect(unchanged.transfer).toBeNull();
    expect((await stack.store.events(no)).map((event) => event.type)).not.toContain('MATERIALS_DISPATCHED');

    await scanMaterials(stack, no);
    const dispatched = await stack.as(RECEIVING).query<any>(DISPATCH, { no, channel: 'ONLINE' });
    expect(dispatched.errors).toBeUndefined();
    expect(dispatched.data.dispatchMaterials.stage).toBe('IN_TRANSFER');
  });

  it('dispatches on paper without scans', async () => {
    const no = await received();
    const dispatched = await stack.as(RECEIVING).query<any>(DISPATCH, { no, channel: 'OFFLINE' });
    expect(dispatched.errors).toBeUndefined();
    expect(dispatched.data.dispatchMaterials.stage).toBe('IN_TRANSFER');
  });

  it('takes a scan attached by mistake off its material, before dispatch', async () => {
    const no = await received();
    const [first] = SICHUAN_WATER.materials.map((material) => material.name);
    const { uploadId, sha256 } = await uploaded(await samplePdf('wrong page'));
    await stack.as(RECEIVING).query<any>(ATTACH, { no, material: first, uploadId });
    const removed = await stack.as(RECEIVING).query<any>(REMOVE, { no, material: first, sha256 });
    expect(removed.errors).toBeUndefined();
    expect(removed.data.removeMaterialFile.scans).toEqual([]);
    expect(removed.data.removeMaterialFile.materialsWithoutScan).toContain(first);
    const events = (await stack.store.events(no)).map((event) => event.type);
    expect(events).toEqual(expect.arrayContaining(['MATERIAL_SCAN_ATTACHED', 'MATERIAL_SCAN_REMOVED']));
  });

  it("binds only the receiving window's own uploads, to materials the case has", async () => {
    const no = await received();
    const [first] = SICHUAN_WATER.materials.map((material) => material.name);
    const foreign = await uploaded(await samplePdf('other window'), OTHER_WINDOW);
    const theirs = await stack.as(RECEIVING).query<any>(ATTACH, { no, material: first, uploadId: foreign.uploadId });
    expect(theirs.errors?.[0]?.extensions?.code).toBe('FILE.UPLOAD_NOT_FOUND');
    const byOther = await stack.as(OTHER_WINDOW).query<any>(ATTACH, { no, material: first, uploadId: foreign.uploadId });
    expect(byOther.errors?.[0]?.extensions?.code).toBe('AUTH.FORBIDDEN');
    const afar = await uploaded(await samplePdf('other division'), OTHER_DIVISION);
    const fromAfar = await stack.as(RECEIVING).query<any>(ATTACH, { no, material: first, uploadId: afar.uploadId });
    expect(fromAfar.errors?.[0]?.extensions?.code).toBe('FILE.UPLOAD_NOT_FOUND');

    const own = await uploaded(await samplePdf('own'));
    const unknown = await stack.as(RECEIVING).query<any>(ATTACH, { no, material: '不存在的材料', uploadId: own.uploadId });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('CASE.MATERIAL_NOT_FOUND');
    const bogus = await stack.as(RECEIVING).query<any>(ATTACH, { no, material: first, uploadId: '../../etc/passwd' });
    expect(bogus.errors?.[0]?.extensions?.code).toBe('FILE.UPLOAD_NOT_FOUND');
    expect((await stack.workflow.get(no)).scans ?? []).toEqual([]);
  });

  it('refuses uploads without a token, from other roles, and of files that are not scans', async () => {
    const anonymous = await fetch(`${stack.gateway.url}/files/uploads`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' } });
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(await anonymous.text()).code).toBe('AUTH.UNAUTHENTICATED');
    const supervisor = await tusClient(stack.gateway.url, await stack.token(staffAt('W-500000-01', 'SUPERVISOR'))).create(10);
    expect(supervisor.status).toBe(403);
    // A token naming a window the directory does not have: no partition for its uploads, and nothing to bind them to.
    const nowhere = await tusClient(stack.gateway.url, await stack.token(staffAt('W-999999-01'))).create(10);
    expect(nowhere.status).toBe(403);

    const zip = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(2000, 1)]);
    const refused = await tusClient(stack.gateway.url, await stack.token(RECEIVING)).upload(zip, 4096);
    expect(refused.last.status).toBe(415);
    expect(JSON.parse(refused.last.body).code).toBe('FILE.TYPE_NOT_ALLOWED');

    // A document built to be slow: 390 KB whose object stream inflates to 400 MiB, refused before it is inflated.
    // Made before the upload starts: deflating 400 MiB takes seconds, long enough for the server to close the idle keep-alive socket the next request would reuse.
    const document = objectStreamBomb(400 * 2 ** 20);
    const bomb = await tusClient(stack.gateway.url, await stack.token(RECEIVING)).upload(document, 64 * 1024);
    expect(bomb.last.status).toBe(422);
    expect(JSON.parse(bomb.last.body).code).toBe('FILE.PDF_UNREADABLE');
  });
});
