import { describe, expect, it } from 'vitest';
import { shortDir } from './format';

describe('shortDir', () => {
  it('keeps the last two folder names of a deep path', () => {
    expect(shortDir('/Users/me/src/web app ü')).toBe('src/web app ü');
  });
  it('keeps a path of two names or fewer whole, never making it look relative', () => {
    expect(shortDir('/tmp/limabar-repo-x')).toBe('/tmp/limabar-repo-x');
    expect(shortDir('/srv')).toBe('/srv');
    expect(shortDir('/')).toBe('/');
  });
});
