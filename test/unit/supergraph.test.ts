import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, CompositionError, readSupergraphConfig } from '../../gateway/supergraph.js';

describe('supergraph composition', () => {
  const subgraphs = readSupergraphConfig('supergraph.yaml');

  it('lists the five subgraphs with their routing URLs', () => {
    expect(subgraphs.map((s) => s.name)).toEqual(['cases', 'chongqing', 'sichuan', 'windows', 'courier']);
    for (const subgraph of subgraphs) expect(subgraph.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
  });

  it('composes, and the committed supergraph.graphql is what composition produces', () => {
    const sdl = composeSupergraph(subgraphs);
    expect(readFileSync('supergraph.graphql', 'utf8')).toBe(sdl);
  });

  it('routes ServiceItem and PlatformCase implementations to the region that owns them', () => {
    const sdl = composeSupergraph(subgraphs);
    expect(sdl).toMatch(/type ChongqingServiceItem implements ServiceItem[^{]*@join__type\(graph: CHONGQING, key: "code"\)/s);
    expect(sdl).toMatch(/type SichuanPlatformCase implements PlatformCase[^{]*@join__type\(graph: SICHUAN, key: "id businessNo"\)/s);
  });

  it('fails with the composition errors when a subgraph breaks the contract', () => {
    const broken = subgraphs.map((s) =>
      s.name === 'windows' ? { ...s, sdl: s.sdl.replace('type Window @key(fields: "id")', 'type Window @key(fields: "nope")') } : s,
    );
    expect(() => composeSupergraph(broken)).toThrow(CompositionError);
    try {
      composeSupergraph(broken);
    } catch (error) {
      expect((error as CompositionError).code).toBe('SUPERGRAPH.COMPOSITION_FAILED');
      expect((error as CompositionError).problems.join('\n')).toContain('nope');
    }
  });
});
