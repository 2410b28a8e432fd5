// The UI's layering, checked: only lib/ipc.ts talks to Tauri, and the view components
// get what they show and callbacks, never ipc.
import { describe, expect, it } from 'vitest';

const sources = import.meta.glob<string>(['./**/*.ts', './**/*.svelte', '!./**/*.test.ts', '!./bindings/**'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

const importsOf = (source: string) => Array.from(source.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g), (m) => m[1]);

describe('layers', () => {
  it('finds the sources', () => {
    expect(Object.keys(sources)).toContain('./lib/ipc.ts');
    expect(Object.keys(sources)).toContain('./components/InstanceRow.svelte');
  });

  it('lets only lib/ipc.ts import @tauri-apps/api', () => {
    const tauri = Object.entries(sources)
      .filter(([, src]) => importsOf(src).some((i) => i.startsWith('@tauri-apps/')))
      .map(([path]) => path);
    expect(tauri).toEqual(['./lib/ipc.ts']);
  });

  it('keeps ipc out of the view components', () => {
    const viewsWithIpc = Object.entries(sources)
      .filter(([path, src]) => path.startsWith('./components/') && importsOf(src).some((i) => i.endsWith('/ipc')))
      .map(([path]) => path);
    expect(viewsWithIpc).toEqual([]);
  });
});
