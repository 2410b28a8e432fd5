import type { VmState } from '../bindings/VmState';

export function bytes(n: number | null): string {
  if (n == null) return '–';
  const gib = n / 2 ** 30;
  return gib >= 1 ? `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;
}

export function duration(secs: number): string {
  if (secs < 60) return `${secs.toFixed(secs < 10 ? 1 : 0)} s`;
  const m = Math.floor(secs / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/** Time since `start` (ms on this clock), e.g. "12 s" or "3 min". */
export function elapsed(start: number, now: number): string {
  return duration(Math.max(0, now - start) / 1000);
}

/** One line describing the state, e.g. "Starting — user session · 4.2 s". */
export function stateText(s: VmState, now: number, estimateSecs: number | null = null): string {
  switch (s.kind) {
    case 'stopped':
      return 'Stopped';
    case 'starting':
      return `Starting${s.phase ? ` — ${s.phase}` : ''} · ${duration(Math.max(0, now - s.since) / 1000)}${estimateSecs ? ` of about ${duration(estimateSecs)}` : ''}`;
    case 'ready':
      return s.bootSecs != null ? `Ready · booted in ${s.bootSecs.toFixed(1)} s` : 'Ready';
    case 'degraded':
      return 'Running with problems';
    case 'failed':
      return 'Failed';
    case 'stopping':
      return 'Stopping…';
    case 'broken':
      return 'Broken';
    case 'unknown':
      return 'Running';
  }
}

export function uptime(s: VmState, now: number): string | null {
  return s.kind === 'ready' || s.kind === 'degraded' ? duration(Math.max(0, now - s.since) / 1000) : null;
}

export function isUp(s: VmState): boolean {
  return s.kind === 'ready' || s.kind === 'degraded' || s.kind === 'starting' || s.kind === 'unknown';
}

/** A folder's last two names ("src/app" for /Users/me/src/app), enough to tell a VM's
 *  flakes apart in a narrow popover; shorter paths stay whole, so "/tmp/app" is not
 *  shown as the relative-looking "tmp/app". */
export function shortDir(dir: string): string {
  const parts = dir.split('/').filter(Boolean);
  return parts.length > 2 ? parts.slice(-2).join('/') : dir;
}
