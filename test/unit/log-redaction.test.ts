import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bearerToken } from '../../lib/auth/access-token.js';
import { createLogger } from '../../lib/logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
  return { lines, logger: createLogger({ level: 'info', service: 'test' }, sink) };
}

describe('log redaction', () => {
  it('redacts secrets and personal data at any depth, in errors too', () => {
    const { lines, logger } = capture();
    const error = Object.assign(new Error('upstream refused'), { config: { headers: { Authorization: 'Bearer eyJ.secret.sig' } } });
    logger.warn(
      { request: { upstream: { headers: { authorization: 'Bearer abc.def.ghi', cookie: 'ops_token=abc' } } }, applicant: { contact: { phone: '13812345678', idNumber: '11010519491231002X' } }, err: error },
      'refused',
    );
    const line = lines.join('');
    for (const secret of ['abc.def.ghi', 'ops_token=abc', '13812345678', '11010519491231002X', 'eyJ.secret.sig']) expect(line).not.toContain(secret);
    expect(line).toContain('upstream refused');
    expect(line.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('redacts tokens and signatures in URLs with query strings', () => {
    const { lines, logger } = capture();
    logger.info({ path: '/ops/login?token=eyJhbGciOi.payload.sig&next=/ops', nested: { url: 'https://platform/api?appId=x&sign=ABCDEF0123&ts=1' } }, 'request');
    const line = lines.join('');
    expect(line).not.toContain('eyJhbGciOi.payload.sig');
    expect(line).not.toContain('ABCDEF0123');
    expect(line).toContain('/ops/login?token=[redacted]&next=/ops');
    expect(line).toContain('appId=x&sign=[redacted]&ts=1');
  });
});

describe('bearerToken', () => {
  it('takes the scheme name case-insensitively and nothing but a token68', () => {
    for (const header of ['Bearer a.b.c', 'bearer a.b.c', 'BEARER a.b.c', 'Bearer  a.b.c']) expect(bearerToken(header)).toBe('a.b.c');
    for (const header of [undefined, '', 'Basic a.b.c', 'Bearer', 'Bearer a b', 'Bearera.b.c', 'Bearer a.b.c,x']) expect(bearerToken(header)).toBeUndefined();
  });
});
