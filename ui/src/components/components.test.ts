import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import ErrorNote from './ErrorNote.svelte';
import LinkButton from './LinkButton.svelte';

const text = (s: string) => createRawSnippet(() => ({ render: () => `<span>${s}</span>` }));

afterEach(cleanup);

describe('ErrorNote', () => {
  it('shows the message, the hint below it, and what follows', () => {
    const { container } = render(ErrorNote, { error: { code: 'busy', message: '`web` is busy', hint: 'Wait for it.' }, testid: 'error', children: text('Dismiss') });
    const p = container.querySelector('p.error[data-testid="error"]')!;
    expect(p.textContent).toBe('`web` is busyWait for it. Dismiss');
    expect(p.querySelector('br + .hint')!.textContent).toBe('Wait for it.');
  });

  it('shows a message without a hint alone', () => {
    const { container } = render(ErrorNote, { error: { code: 'io', message: 'no such file', hint: null } });
    const p = container.querySelector('p.error')!;
    expect(p.textContent).toBe('no such file');
    expect(p.hasAttribute('data-testid')).toBe(false);
    expect(p.querySelector('.hint')).toBeNull();
  });
});

describe('LinkButton', () => {
  it('is a plain button.link that passes its attributes through', async () => {
    const onclick = vi.fn();
    const { container } = render(LinkButton, { children: text('Logs'), class: 'logs-toggle', 'data-action': 'logs', onclick });
    const b = container.querySelector('button')!;
    expect(b.className).toContain('link');
    expect(b.className).toContain('logs-toggle');
    expect(b.type).toBe('button'); // never submits the form it is in
    expect(b.dataset.action).toBe('logs');
    await fireEvent.click(b);
    expect(onclick).toHaveBeenCalledOnce();
  });
});
