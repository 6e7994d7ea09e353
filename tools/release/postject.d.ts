// postject ships no types: the one function tools/release/sea-inject.ts calls.
declare module 'postject' {
  export function inject(
    filename: string,
    resourceName: string,
    resourceData: Buffer,
    options?: { readonly machoSegmentName?: string; readonly overwrite?: boolean; readonly sentinelFuse?: string },
  ): Promise<void>;
}
