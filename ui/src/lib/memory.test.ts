import { describe, expect, it } from 'vitest';
import { readMemory } from './memory';

describe('ui memory', () => {
  it('reads back what the page remembered', () => {
    const m = { newVm: { name: "it's", cpus: 2, memoryGib: 4, diskGib: 30, folders: ['/a b'] }, settingsOpen: true, logsOpen: 'nixos', deferred: ['dev'] };
    expect(readMemory(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it('drops what is not its shape instead of trusting it', () => {
    expect(readMemory(null)).toBeNull();
    expect(readMemory('x')).toBeNull();
    expect(readMemory({ newVm: { name: 3, folders: ['/a', 7] }, logsOpen: 5, deferred: 'dev' })).toEqual({
      newVm: { folders: ['/a'] },
      settingsOpen: false,
      logsOpen: null,
      deferred: [],
    });
  });
});
