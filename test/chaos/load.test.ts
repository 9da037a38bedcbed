import { describe, expect, it } from 'vitest';
import { runLoad } from './load-flow.js';

/**
 * A reduced load run for every `npm run test:chaos`: a few hundred cases through
 * the whole flow and a short soak. `npm run soak` runs the full 10,000 cases and
 * 10 minutes (figures in RELIABILITY.md).
 */
describe('load: cases through the whole flow, then a soak', () => {
  it('delivers every case exactly once with no 5xx and no errors, and the gateway’s memory stays flat', async () => {
    const figures = await runLoad({ cases: 240, concurrency: 12, soakMs: 40_000, sampleEveryMs: 5_000 });
    console.log(`[chaos:load] ${JSON.stringify(figures)}`);
    expect(figures.graphqlErrors).toEqual([]);
    expect(figures.notDelivered).toEqual([]);
    expect([figures.delivered, figures.http5xx, figures.duplicatePlatformCases, figures.missingPlatformCases, figures.duplicateEvents]).toEqual([240, 0, 0, 0, 0]);
    expect([figures.soak.http5xx, figures.soak.graphqlErrors]).toEqual([0, 0]);
    expect(figures.soak.requests).toBeGreaterThan(100);
    // Retries are how a console rides out a slow moment; a run that needs many is past what the machine sustains.
    expect(figures.retriedSteps).toBeLessThan(figures.cases / 20);
    // Warm caches settle within seconds; growth beyond this across the soak would be a leak.
    expect(figures.soak.rssEndMiB - figures.soak.rssStartMiB).toBeLessThan(64);
  }, 300_000);
});
