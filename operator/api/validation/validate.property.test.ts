import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { baseConnection, baseRepository, mergePatch } from './fixtures.ts';
import { validateResource } from './index.ts';

// The validator must answer every input with a list of problems: it never throws.
describe('validateResource never throws', () => {
  it('on arbitrary values', () => {
    const everything = fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    });
    fc.assert(
      fc.property(everything, (value) => {
        expect(Array.isArray(validateResource(value).problems)).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });

  const urlish = fc.oneof(
    fc.webUrl(),
    fc.string(),
    fc.constantFrom('https://A.cloudimanage.com/', 'https://x:1', 'https://[::1]:443', 'http://'),
  );
  const specPatch = fc.record(
    {
      connectionType: fc.oneof(fc.constantFrom('Cloud', 'Hosted', 'OnPremise'), fc.anything()),
      url: urlish,
      apiUrl: fc.option(urlish, { nil: null }),
      customerId: fc.option(fc.anything(), { nil: null }),
      environments: fc.array(
        fc.record(
          { name: fc.string(), baseUrl: urlish, redirectUri: fc.option(urlish, { nil: undefined }) },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
      probes: fc.anything(),
    },
    { requiredKeys: [] },
  );

  it('on connections with random fields in the right places', () => {
    fc.assert(
      fc.property(specPatch, (patch) => {
        const { problems } = validateResource(mergePatch(baseConnection(), { spec: patch }));
        for (const p of problems) expect(typeof p.path).toBe('string');
      }),
      { numRuns: 10_000 },
    );
  });

  it('on documents that claim to be our kinds but carry anything', () => {
    const kind = fc.constantFrom('IManageConnection', 'WorkspaceRepository');
    fc.assert(
      fc.property(
        kind,
        fc.anything({ withBigInt: true, withBoxedValues: true, withNullPrototype: true }),
        (k, spec) => {
          const { problems } = validateResource({
            apiVersion: 'imanage.operator.dev/v1alpha1',
            kind: k,
            metadata: { name: 'x' },
            spec,
          });
          expect(problems.length).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('on repositories with random resolvers', () => {
    const entry = fc.record(
      {
        workType: fc.string(),
        resolver: fc.string(),
        fallbacks: fc.anything(),
        folder: fc.anything(),
        onMultipleMatches: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 3 }), fc.anything(), (resolvers, preview) => {
        const { problems } = validateResource(mergePatch(baseRepository(), { spec: { resolvers, preview } }));
        expect(Array.isArray(problems)).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });
});
