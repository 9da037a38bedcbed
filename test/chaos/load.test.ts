import { describe, expect, it } from 'vitest';
import { runLoad } from '../support/load-flow.js';

/**
 * A reduced load run for every `npm run test:chaos`: a few hundred cases through
 * the whole flow and a short soak. `npm run soak` runs the full 10,000 cases and
 * 10 minutes (figures in RELIABILITY.md).
 */
describe('load: cases through the whole flow, then a soak', () => {
  it('delivers every case exactly once with no 5xx and no errors, and the gateway’s memory stays bounded', async () => {
    const figures = await runLoad({ cases: 240, concurrency: 12, soakMs: 40_000, sampleEveryMs: 5_000 });
    console.log(`[chaos:load] ${JSON.stringify(figures)}`);
    expect(figures.graphqlErrors).toEqual([]);
    expect(figures.notDelivered).toEqual([]);
    expect([figures.delivered, figures.http5xx, figures.duplicatePlatformCases, figures.missingPlatformCases, figures.duplicateEvents]).toEqual([240, 0, 0, 0, 0]);
    expect([figures.soak.http5xx, figures.soak.graphqlErrors]).toEqual([0, 0]);
    expect(figures.soak.requests).toBeGreaterThan(100);
    // Retries are how a console rides out a slow moment; a run that needs many is past what the machine sustains.
    expect(figures.retriedSteps).toBeLessThan(figures.cases / 20);
    // V8 is still growing its heap 40 s in, so flatness is for the 10-minute soak to show (RELIABILITY.md);
    // here the gateway must stay well inside what that run levelled off at (340–378 MiB with 1,600 callers).
    expect(figures.soak.rssMaxMiB).toBeLessThan(512);
  }, 300_000);
});
