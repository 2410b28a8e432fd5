import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, cleanup, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import App from './App.svelte';
import { view } from './lib/fixtures';
import type { ArgsOf, Command, ResultOf } from './lib/commands';
import { EVENTS, type EventPayloads } from './bindings/events';
import type { AppSnapshot } from './bindings/AppSnapshot';
import type { ErrorInfo } from './bindings/ErrorInfo';
import type { LimaInfo } from './bindings/LimaInfo';
import type { Finding } from './bindings/Finding';
import type { PortView } from './bindings/PortView';
import type { MemoryView } from './bindings/MemoryView';
import type { LogLine } from './bindings/LogLine';
import type { Plan } from './bindings/Plan';

const info: LimaInfo = { path: '/opt/homebrew/bin/limactl', version: { major: 2, minor: 2, patch: 0 }, features: { watch: true, restartWithEdits: true, shellFailsWhenStopped: true, setLiteralsDecodedTwice: true }, simulated: false };
const connected: AppSnapshot['lima'] = { kind: 'connected', info };

/** The mocked backend: one handler per command, typed by the Commands map the UI calls
 *  through, so a renamed command, argument or binding field fails type checking here. */
type Handlers = { [K in Command]: (args: ArgsOf<K>) => ResultOf<K> | Promise<ResultOf<K>> };
/** One recorded invoke, its arguments typed by its command. */
type Call = { [K in Command]: { cmd: K; args: ArgsOf<K> } }[Command];

let calls: Call[] = [];
let backend: Handlers;
let mounted = false;
let fixed = false;
let envrc = false;
let httpPorts: number[] = [];
const GIB = 2 ** 30;
let memoryOf = (name: string): MemoryView => ({ name, heldBytes: null, guestTotalBytes: null, guestUsedBytes: null, returnableBytes: null, restartSecs: null });
const nixLd: Finding = {
  id: 'guest-nix-ld',
  severity: 'warning',
  message: 'nix-ld is not enabled in this NixOS guest.',
  why: "The editor's server fails to start.",
  fix: 'Add it to the configuration and rebuild.',
  set: null,
  snippet: 'programs.nix-ld.enable = true;',
};
let settingsLimactl = '';
/** The limactl the backend's Lima connection uses. */
let limactlInUse = info.path;
let snapshot: AppSnapshot;
/** What the page last asked the backend to remember (`remember_ui`). */
let remembered: unknown = null;
/** The mount change the mocked backend holds per instance, as Rust does. */
let held: Record<string, { paths: string[]; writable: boolean }> = {};

/** What the backend rejects with. */
const fail = (e: ErrorInfo): never => {
  throw e;
};
/** Pushes an event as the backend does, its payload typed by the event's name. */
const push = <K extends keyof EventPayloads>(event: K, payload: EventPayloads[K]) => emit(EVENTS[event], payload);
/** The arguments of every call to `cmd`, in order. */
const callsTo = <K extends Command>(cmd: K): ArgsOf<K>[] => calls.filter((c) => c.cmd === cmd).map((c) => c.args as ArgsOf<K>);
/** Asserts one call to `cmd` had exactly these arguments. */
const expectCalled = <K extends Command>(cmd: K, args: ArgsOf<K>) => expect(callsTo(cmd)).toContainEqual(args);

const instance = (name: string) => snapshot.instances.find((v) => v.name === name);

const noChange: Plan = { mounts: [], added: [], toggled: [], removed: [], notes: [], errors: [] };

/** What the backend plans for sharing `paths` with `name`. */
function planFor(name: string, paths: string[], writable: boolean): Plan {
  if (paths[0].includes(', ')) {
    const reason = `The guest path "${paths[0]}" can't be mounted in a NixOS guest: it contains ",". Rename the folder, or mount a folder higher up whose path does not have it.`;
    return { ...noChange, errors: [{ code: 'unmountable', path: paths[0], reason }] };
  }
  const mounts = instance(name)?.mounts ?? [];
  const toggled = mounts.filter((m) => paths.includes(m.mountPoint) && m.writable !== writable).map((m) => ({ ...m, writable }));
  const added = paths.filter((p) => !mounts.some((m) => m.mountPoint === p)).map((p) => ({ location: p, mountPoint: p, writable }));
  const notes = added.length > 0 ? [`\`${paths[0]}\` will be mounted writable on top of the read-only \`/Users/me\``] : [];
  return { mounts: [...mounts, ...added], added, toggled, removed: [], notes, errors: [] };
}

const changes = (plan: Plan) => plan.errors.length === 0 && plan.added.length + plan.toggled.length > 0;

beforeEach(() => {
  calls = [];
  remembered = null;
  mounted = false;
  fixed = false;
  envrc = false;
  httpPorts = [];
  memoryOf = (name) => ({ name, heldBytes: null, guestTotalBytes: null, guestUsedBytes: null, returnableBytes: null, restartSecs: null });
  held = {};
  settingsLimactl = '';
  limactlInUse = info.path;
  snapshot = { lima: connected, popoverVisible: true, pendingMounts: {}, uiMemory: null, pinned: false, instances: [view('nixos'), view('web', { kind: 'ready', sshPort: 50122, bootSecs: 9.8, since: Date.now() - 5000 })] };
  backend = {
    snapshot: () => snapshot,
    reconnect: () => {},
    run_operation: ({ name }) => {
      if (name === 'web') fail({ code: 'busy', message: '`web` is busy: start is still in progress', hint: 'Wait for the current operation to finish.' });
    },
    limactl_command: ({ name, operation }) =>
      operation === 'start' ? `/opt/homebrew/bin/limactl start --tty=false --timeout 15m ${name}` : `/opt/homebrew/bin/limactl stop --tty=false -f ${name}`,
    hide_popover: () => {},
    page_ready: () => {},
    install_cli: () => ({ link: '/home/alice/.local/bin/limabar', target: '/Applications/Limabar.app/Contents/MacOS/limabar', already: false, onPath: true }),
    update_status: () => ({ current: '0.1.0', status: { state: 'idle' } }),
    editors: () => ({ choices: [{ id: 'vscode', label: 'VS Code' }, { id: 'zed', label: 'Zed' }], selected: { id: 'vscode', label: 'VS Code' } }),
    set_editor: () => {},
    open_in_editor: ({ name }) => ({ editor: 'VS Code', host: `lima-${name}`, copyHost: false, spawnMs: 3, startedVm: false, sshHostsReady: true, guestFindings: [] }),
    ssh_config: ({ install }) => ({ path: '/home/alice/.ssh/config', changed: true, backup: '/home/alice/.ssh/config.limabar-backup', snippet: null, message: install ? 'Added `Include /home/alice/.lima/*/ssh.config` at the top of /home/alice/.ssh/config' : 'Took Limabar\'s lines out of /home/alice/.ssh/config.' }),
    check_for_updates: () => ({ current: '0.1.0', status: { state: 'available', version: '0.2.0', notes: 'Faster boots.' } }),
    install_update: () => ({ current: '0.1.0', status: { state: 'failed', message: "The downloaded update is not signed with Limabar's key, so it was not installed." } }),
    remember_ui: ({ memory }) => {
      remembered = memory;
    },
    set_pinned: () => {},

    share_folders: ({ name, paths, writable }) => {
      const plan = planFor(name, paths, writable);
      held[name] = { paths, writable };
      // A stopped VM is edited at once.
      return { plan, applied: instance(name)?.state.kind === 'stopped' && changes(plan) };
    },
    apply_pending_mounts: ({ name }) => {
      const h = held[name];
      const plan = h ? planFor(name, h.paths, h.writable) : null;
      if (!plan || !changes(plan)) {
        delete held[name];
        return { plan: noChange, applied: false };
      }
      return { plan, applied: true };
    },
    pending_mount_commands: ({ name }) =>
      held[name] ? [`/opt/homebrew/bin/limactl restart --tty=false ${name} --set '.mounts += [{"location":"${held[name].paths[0]}"}]'`] : [],
    discard_pending_mounts: ({ name }) => {
      delete held[name];
    },
    remove_mount: ({ name }) => ({ ...noChange, mounts: instance(name)?.mounts ?? [] }),
    pick_folders: () => ['/Users/me/picked'],

    flakes: ({ name }) => {
      if (name !== 'web') return { name, flakes: [], truncated: false };
      return {
        name: 'web',
        truncated: false,
        flakes: [
          {
            dir: '/Users/me/src/app', guestDir: '/Users/me/src/app', writable: true, git: 'untracked', evaluated: true, error: null, envrc,
            warning: 'flake.nix is not tracked by git, so nix will not see it: run `git add flake.nix`',
            shells: [{ name: 'default', prebuilt: 'ready' }, { name: 'rust', prebuilt: 'none' }],
          },
        ],
      };
    },
    open_dev_shell: ({ dir, shell }) => {
      if (dir === '/Users/me/other app' && !mounted) fail({ code: 'not-mounted', message: '`/Users/me/other app` is not shared with `web`', hint: null });
      if (shell === 'rust') fail({ code: 'terminal-failed', message: 'XTerm could not be started: cannot open display', hint: 'Choose another terminal, or use Copy command and paste it into your own.' });
      return { terminal: 'XTerm', prebuilt: true, spawnMs: 4.2, startedVm: false };
    },
    dev_shell_command: () => "/opt/homebrew/bin/limactl shell --workdir /Users/me/src/app web nix develop '.#rust'",
    terminals: () => ({ choices: [{ id: 'xterm', label: 'XTerm' }, { id: 'kitty', label: 'kitty' }], selected: { id: 'xterm', label: 'XTerm' } }),
    set_terminal: () => {},
    pick_flake_folder: () => '/Users/me/other app',

    diagnosis: ({ name }) => {
      if (name !== 'nixos') return { name, findings: [], explanation: null };
      return {
        name: 'nixos',
        explanation: fixed ? null : { id: 'guest-agent-not-running', cause: 'Plain mode is on: there is no guest agent.', fix: 'Turn plain mode off, then restart.' },
        findings: fixed ? [] : [
          { id: 'plain-mode', severity: 'error', message: 'Plain mode is on (`plain: true`).', why: 'No mounts.', fix: 'Turn plain mode off.', set: '.plain = false', snippet: null },
          { id: 'image-without-digest', severity: 'info', message: '1 image(s) have no digest.', why: 'Unverified.', fix: 'Add the digest.', set: null, snippet: null },
        ],
      };
    },
    apply_fix: () => {
      fixed = true;
    },
    check_guest: ({ name }) => ({ name, findings: [], explanation: null }),
    http_ports: () => httpPorts,
    memory: ({ name }) => memoryOf(name),
    open_port: ({ port }) => `http://localhost:${port}/`,
    add_envrc: ({ name }) => {
      envrc = true;
      return { message: `Added .envrc (use flake); direnv allowed it in ${name}`, allowed: true };
    },

    create_vm: () => new Promise(() => {}), // still creating
    new_vm_yaml: ({ request }) => {
      if (request.name.includes(' ')) fail({ code: 'failed', message: '`limactl create` failed: `my vm` is not a valid instance name', hint: null });
      return `# A NixOS dev VM\nimages: []\n`;
    },

    open_logs: () => [
      { source: 'hostAgent', level: 'info', time: null, msg: 'Waiting for the essential requirement 1 of 3: "ssh"' },
      { source: 'hostAgent', level: 'error', time: null, msg: 'failed to start VZ' },
      { source: 'console', level: '', time: null, msg: '[    0.0] Linux version 6.12' },
    ],
    close_logs: () => {},
    diagnostics: () => 'Limabar 0.1.0 · Lima 2.2.0',

    delete_vm: () => fail({ code: 'failed', message: '`nixos` is protected against deletion', hint: 'If you really mean it: `limactl unprotect nixos`, then delete again.' }),

    get_settings: () => ({ limactl: settingsLimactl, limactlInUse, notifyReady: true, notifyProblems: true, openAtLogin: false }),
    save_settings: ({ update }) => {
      if (update.limactl === '/nope') fail({ code: 'io', message: 'limactl: `/nope` is not a file', hint: null });
      settingsLimactl = update.limactl;
    },
  };
  mockIPC(
    (cmd, args) => {
      if (!(cmd in backend)) throw new Error(`the UI called ${cmd}, which the backend does not have`);
      const name = cmd as Command;
      calls.push({ cmd: name, args } as Call);
      // One dispatch point: each handler's own signature was checked above.
      return (backend[name] as (a: unknown) => unknown)(args);
    },
    { shouldMockEvents: true },
  );
});

afterEach(async () => {
  cleanup();
  // Unlistening is asynchronous; let it finish before the mocked internals go away.
  await new Promise((r) => setTimeout(r, 0));
  clearMocks();
});

const row = (name: string) => document.querySelector(`li[data-name="${name}"]`) as HTMLElement;

describe('App', () => {
  it('lists every instance with state, resources and the right actions', async () => {
    render(App);
    expect(await screen.findByText('nixos')).toBeTruthy();
    expect(row('nixos').textContent).toContain('Stopped');
    expect(row('nixos').textContent).toContain('8 GiB');
    expect(row('nixos').querySelector('[data-action="start"]')).toBeTruthy();
    expect(row('web').textContent).toContain('Ready · booted in 9.8 s');
    expect(row('web').textContent).toContain('ssh :50122');
    expect(row('web').querySelector('[data-action="stop"]')).toBeTruthy();
    expect(screen.getByTestId('lima-badge').textContent).toContain('Lima 2.2.0');
  });

  it('starts an instance and follows its phases from change events', async () => {
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(row('nixos').querySelector('[data-action="start"]')!);
    expectCalled('run_operation', { name: 'nixos', operation: 'start' });
    await push('change', {
      type: 'upserted',
      instance: view('nixos', { kind: 'starting', phase: 'user session', since: Date.now() - 2000 }, { operation: 'start' }),
    });
    await screen.findByText(/Starting — user session/);
    expect(row('nixos').querySelector('[data-action="busy"]')!.textContent).toBe('Starting…');
    // Lima's listing can still carry the dead boot's SSH port: a failed VM has no SSH.
    await push('change', { type: 'upserted', instance: view('nixos', { kind: 'failed', reason: 'exiting, status={Running:false}' }, { sshLocalPort: 50641 }) });
    await screen.findByText('exiting, status={Running:false}');
    expect(row('nixos').dataset.state).toBe('failed');
    expect(row('nixos').textContent).not.toContain('ssh :');
  });

  it('shows a refused operation as a message with its hint', async () => {
    render(App);
    await screen.findByText('web');
    await fireEvent.click(row('web').querySelector('[data-action="stop"]')!);
    const err = await screen.findByTestId('error');
    expect(err.textContent).toContain('is busy');
    expect(err.textContent).toContain('Wait for the current operation');
  });

  it('shows a rejection that is not an ErrorInfo as its message', async () => {
    backend.run_operation = () => {
      throw 'command run_operation not found';
    };
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(row('nixos').querySelector('[data-action="start"]')!);
    expect((await screen.findByTestId('error')).textContent).toBe('command run_operation not found');
  });

  it('shows onboarding with the install command when limactl is missing', async () => {
    snapshot = { lima: { kind: 'failed', error: { code: 'limactl-not-found', message: 'limactl was not found (looked in /usr/bin)', hint: null } }, instances: [], popoverVisible: true, pendingMounts: {}, uiMemory: null, pinned: false };
    render(App);
    const ob = await screen.findByTestId('onboarding');
    // On Linux (the test's user agent): Nix or Homebrew, and QEMU.
    expect(navigator.userAgent).toContain('Linux');
    expect(ob.textContent).toContain('nix profile install nixpkgs#lima');
    expect(ob.textContent).toContain('brew install lima');
    expect(ob.textContent).toContain('sudo apt install qemu-system');
  });

  it('checks again without a relaunch: still missing, then found', async () => {
    const missing: AppSnapshot = { lima: { kind: 'failed', error: { code: 'limactl-not-found', message: 'limactl was not found (looked in /usr/bin)', hint: null } }, instances: [], popoverVisible: true, pendingMounts: {}, uiMemory: null, pinned: false };
    snapshot = missing;
    render(App);
    await fireEvent.click(await screen.findByText('Check again'));
    expect(callsTo('reconnect')).toHaveLength(1);
    await push('lima', missing.lima);
    expect((await screen.findByTestId('recheck-result')).textContent).toContain('still not usable');
    // The hint's other way out, a limactl path, is reachable too.
    expect(screen.getByText('Settings…')).toBeTruthy();
    // The user installs Lima and checks again: the app connects and lists the VMs.
    snapshot = { lima: connected, popoverVisible: true, pendingMounts: {}, uiMemory: null, pinned: false, instances: [view('nixos')] };
    await fireEvent.click(screen.getByText('Check again'));
    await push('lima', connected);
    expect(await screen.findByText('nixos')).toBeTruthy();
    expect(screen.queryByTestId('onboarding')).toBeNull();
  });

  it('says when Lima is simulated', async () => {
    snapshot = { ...snapshot, lima: { kind: 'connected', info: { ...info, simulated: true } } };
    render(App);
    expect((await screen.findByTestId('lima-badge')).textContent).toContain('Simulated Lima');
  });

  it('gives the exact limactl command of each action', async () => {
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(row('nixos').querySelector('[data-action="copy"]')!);
    const start = (await screen.findByLabelText('limactl command to start')) as HTMLInputElement;
    expect(start.value).toBe('/opt/homebrew/bin/limactl start --tty=false --timeout 15m nixos');
    const force = screen.getByLabelText('limactl command to force stop') as HTMLInputElement;
    expect(force.value).toBe('/opt/homebrew/bin/limactl stop --tty=false -f nixos');
    expect(callsTo('limactl_command').map((a) => a.operation)).toEqual(['start', 'forceStop']);
  });

  it('closes on Escape', async () => {
    render(App);
    await screen.findByText('nixos');
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(callsTo('hide_popover')).not.toEqual([]);
  });
});

describe('the clock', () => {
  it('does not tick while the popover is hidden', async () => {
    snapshot = { ...snapshot, popoverVisible: false, instances: [view('web', { kind: 'starting', phase: 'user session', since: Date.now() - 2000 })] };
    const realSetInterval = window.setInterval;
    let intervals = 0;
    // Count only the UI's 1 s clock (testing-library polls with intervals of its own).
    window.setInterval = ((...a: Parameters<typeof setInterval>) => { if (a[1] === 1000) intervals++; return realSetInterval(...a); }) as typeof setInterval;
    try {
      render(App);
      await screen.findByText('web');
      expect(intervals).toBe(0);
      await push('popover', true);
      await new Promise((r) => setTimeout(r, 0));
      expect(intervals).toBe(1);
    } finally {
      window.setInterval = realSetInterval;
    }
  });
});

describe('boot estimates', () => {
  it('shows the elapsed time against this VM\'s usual boot', async () => {
    snapshot = { ...snapshot, instances: [view('nixos', { kind: 'starting', phase: 'user session', since: Date.now() - 4200 }, { bootEstimateSecs: 10.6 })] };
    render(App);
    expect((await screen.findByText(/Starting — user session/)).textContent).toMatch(/4\.\d s of about 11 s/);
  });
});

describe('dropping folders', () => {
  it('plans a drop on a running VM and restarts only when asked', async () => {
    render(App);
    await screen.findByText('web');
    await push('drag', { kind: 'enter', paths: ['/Users/me/src/app'], x: 1, y: 1 });
    expect((await screen.findByTestId('drop-hint')).textContent).toContain('Drop');
    // happy-dom has no layout: the drop names no row, and with two VMs none is guessed.
    await push('drag', { kind: 'drop', paths: ['/Users/me/src/app'], x: 1, y: 1 });
    expect(callsTo('share_folders')).toEqual([]);
    snapshot = { ...snapshot, instances: [snapshot.instances[1]] };
    cleanup();
    render(App);
    await screen.findByText('web');
    await push('change', { type: 'upserted', instance: view('web', { kind: 'ready', sshPort: 1, bootSecs: 10.6, since: Date.now() }, { bootEstimateSecs: 10.6 }) });
    await push('drag', { kind: 'drop', paths: ['/Users/me/src/app'], x: 1, y: 1 });
    const box = await screen.findByTestId('pending');
    expectCalled('share_folders', { name: 'web', paths: ['/Users/me/src/app'], writable: true, confirmed: false });
    expect(box.textContent).toContain('on top of the read-only');
    expect(row('web').querySelector('[data-mount="/Users/me/src/app"]')!.getAttribute('data-pending')).toBe('true');
    await fireEvent.click(box.querySelector('[data-action="mount-commands"]')!);
    const line = (await screen.findByLabelText('limactl command for the mount change')) as HTMLInputElement;
    expect(line.value).toContain('limactl restart --tty=false web --set');
    expectCalled('pending_mount_commands', { name: 'web' });
    const apply = box.querySelector('[data-action="apply-mounts"]')!;
    expect(apply.textContent).toContain('Restart to apply (about 11 s)');
    expect(callsTo('apply_pending_mounts')).toEqual([]);
    await fireEvent.click(screen.getByText('Later'));
    expect(screen.getByTestId('pending').dataset.deferred).toBe('true');
    await fireEvent.click(screen.getByTestId('pending').querySelector('[data-action="apply-mounts"]')!);
    expectCalled('apply_pending_mounts', { name: 'web', confirmed: false });
    await push('change', { type: 'operationEnded', name: 'web', operation: 'mounts', error: null });
    await push('change', { type: 'mountsChecked', name: 'web', checks: [{ mountPoint: '/Users/me/src/app', check: { status: 'verified' }, explanation: 'ok' }] });
    await push('change', { type: 'upserted', instance: view('web', { kind: 'ready', sshPort: 1, bootSecs: 10.6, since: Date.now() }, { mounts: [{ location: '/Users/me/src/app', mountPoint: '/Users/me/src/app', writable: true }] }) });
    const m = await screen.findByText('✓ verified');
    expect(m.closest('[data-mount]')!.getAttribute('data-check')).toBe('verified');
    expect(screen.queryByTestId('pending')).toBeNull();
  });

  it('says why a folder cannot be mounted, and applies nothing', async () => {
    snapshot = { ...snapshot, instances: [view('nixos')] };
    render(App);
    await screen.findByText('nixos');
    await push('drag', { kind: 'drop', paths: ['/Users/me/clients, 2026'], x: 1, y: 1 });
    const box = await screen.findByTestId('pending');
    expect(box.textContent).toContain('Rename the folder');
    expect(box.textContent).not.toContain('unmountable');
    // Nothing to apply: no command to copy, and the box is dismissed, not discarded.
    expect(box.querySelector('[data-action="mount-commands"]')).toBeNull();
    await fireEvent.click(screen.getByText('Dismiss'));
    expect(screen.queryByTestId('pending')).toBeNull();
    expect(callsTo('apply_pending_mounts')).toEqual([]);
    // The backend lets go of it too.
    expectCalled('discard_pending_mounts', { name: 'nixos' });
  });

  it('toggles a mount read-only on a stopped VM at once', async () => {
    snapshot = { ...snapshot, instances: [view('nixos', { kind: 'stopped' }, { mounts: [{ location: '/Users/me/src', mountPoint: '/Users/me/src', writable: true }] })] };
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(row('nixos').querySelector('[data-action="toggle-writable"]')!);
    await new Promise((r) => setTimeout(r, 0));
    // One round trip: the backend edits a stopped VM itself.
    expect(callsTo('share_folders')).toEqual([{ name: 'nixos', paths: ['/Users/me/src'], writable: false, confirmed: true }]);
    expect(callsTo('apply_pending_mounts')).toEqual([]);
  });

  it('"Add folder…" plans the picked folders like a drop', async () => {
    snapshot = { ...snapshot, instances: [view('nixos')] };
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(row('nixos').querySelector('[data-action="add-folder"]')!);
    await new Promise((r) => setTimeout(r, 0));
    expectCalled('share_folders', { name: 'nixos', paths: ['/Users/me/picked'], writable: true, confirmed: false });
  });

  it('applies a drop on a stopped VM at once (no restart to wait for)', async () => {
    snapshot = { ...snapshot, instances: [view('nixos')] };
    render(App);
    await screen.findByText('nixos');
    await push('drag', { kind: 'drop', paths: ['/Users/me/a b ü'], x: 1, y: 1 });
    // Shown as pending while the backend edits it…
    expect((await screen.findByTestId('pending')).textContent).not.toContain('Restart to apply');
    expect(callsTo('share_folders')).toEqual([{ name: 'nixos', paths: ['/Users/me/a b ü'], writable: true, confirmed: false }]);
    expect(callsTo('apply_pending_mounts')).toEqual([]);
    // …and gone once the edit has ended.
    await push('change', { type: 'operationEnded', name: 'nixos', operation: 'mounts', error: null });
    await push('change', { type: 'upserted', instance: view('nixos', { kind: 'stopped' }, { mounts: [{ location: '/Users/me/a b ü', mountPoint: '/Users/me/a b ü', writable: true }] }) });
    await waitFor(() => expect(screen.queryByTestId('pending')).toBeNull());
    expect(row('nixos').querySelector('[data-mount="/Users/me/a b ü"]')!.getAttribute('data-pending')).toBe('false');
    expect(callsTo('share_folders')).toHaveLength(1);
  });

  it('waits for "Restart to apply" after a drop on a running VM', async () => {
    snapshot = { ...snapshot, instances: [snapshot.instances[1]] };
    render(App);
    await screen.findByText('web');
    await push('drag', { kind: 'drop', paths: ['/Users/me/src/app'], x: 1, y: 1 });
    const box = await screen.findByTestId('pending');
    expect(box.querySelector('[data-action="apply-mounts"]')!.textContent).toBe('Restart to apply');
    expect(screen.getByText('Later')).toBeTruthy();
    expect(callsTo('share_folders')).toHaveLength(1);
    expect(callsTo('apply_pending_mounts')).toEqual([]);
  });

  it('shows the pending change the backend holds, from the snapshot and after a reload', async () => {
    const app = { location: '/Users/me/src/app', mountPoint: '/Users/me/src/app', writable: true };
    held.web = { paths: [app.mountPoint], writable: true };
    snapshot = { ...snapshot, pendingMounts: { web: { mounts: [app], added: [app], toggled: [], removed: [], notes: [], errors: [] } } };
    render(App);
    const box = await screen.findByTestId('pending');
    expect(box.closest('li')!.dataset.name).toBe('web');
    expect(box.querySelector('[data-action="apply-mounts"]')!.textContent).toContain('Restart to apply');
    expect(row('web').querySelector('[data-mount="/Users/me/src/app"]')!.getAttribute('data-pending')).toBe('true');
    expect(row('nixos').querySelector('[data-testid="pending"]')).toBeNull();
    await fireEvent.click(screen.getByText('Later'));
    // A reload (Lima found again) takes the backend's word, and keeps "Later".
    await push('lima', connected);
    await waitFor(() => expect(callsTo('snapshot')).toHaveLength(2));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.getByTestId('pending').dataset.deferred).toBe('true');
    await fireEvent.click(screen.getByTestId('pending').querySelector('[data-action="apply-mounts"]')!);
    expectCalled('apply_pending_mounts', { name: 'web', confirmed: false });
    // Once the backend no longer holds it, a reload drops it.
    snapshot = { ...snapshot, pendingMounts: {} };
    await push('lima', connected);
    await waitFor(() => expect(screen.queryByTestId('pending')).toBeNull());
  });

  it('lists dev shells per flake, opens one in the terminal, and explains a failure', async () => {
    render(App);
    await screen.findByText('web');
    const flake = await waitFor(() => {
      const el = row('web').querySelector<HTMLElement>('[data-flake="/Users/me/src/app"]');
      if (!el) throw new Error('no flake yet');
      return el;
    });
    expect(flake.textContent).toContain('src/app');
    expect(flake.textContent).toContain('git add flake.nix');
    expect(flake.querySelector('[data-shell="default"]')!.getAttribute('data-prebuilt')).toBe('ready');
    expect(flake.textContent).toContain('instant');
    expect(row('nixos').querySelector('[data-flake]')).toBeNull();
    await fireEvent.click(flake.querySelector('[data-shell="default"]')!);
    expectCalled('open_dev_shell', { name: 'web', dir: '/Users/me/src/app', shell: 'default' });
    expect((await screen.findByTestId('devshell-message')).textContent).toBe('Opened default in XTerm (pre-built)');
    await fireEvent.click(flake.querySelector('[data-shell="rust"]')!);
    const err = await screen.findByTestId('devshell-error');
    expect(err.textContent).toContain('XTerm could not be started: cannot open display');
    expect(err.textContent).toContain('Copy command');
    await fireEvent.click(flake.querySelectorAll('[data-action="copy-develop"]')[1]);
    const line = await screen.findByTestId('develop-command');
    expect((line as HTMLInputElement).value).toContain("nix develop '.#rust'");
  });

  it('remembers the chosen terminal', async () => {
    render(App);
    const select = (await screen.findByTestId('terminal')) as HTMLSelectElement;
    expect(select.value).toBe('xterm');
    await fireEvent.change(select, { target: { value: 'kitty' } });
    expectCalled('set_terminal', { id: 'kitty' });
  });

  it('offers to mount a chosen flake folder that is not shared, then opens it', async () => {
    render(App);
    await screen.findByText('web');
    await waitFor(() => {
      if (!row('web').querySelector('[data-action="open-flake"]')) throw new Error('not yet');
    });
    await fireEvent.click(row('web').querySelector('[data-action="open-flake"]')!);
    const offer = await screen.findByTestId('mount-offer');
    expect(offer.textContent).toContain('/Users/me/other app is not shared with web');
    await fireEvent.click(offer.querySelector('[data-action="mount-and-open"]')!);
    expectCalled('share_folders', { name: 'web', paths: ['/Users/me/other app'], writable: true, confirmed: false });
    mounted = true;
    await push('change', { type: 'operationEnded', name: 'web', operation: 'mounts', error: null });
    await waitFor(() => {
      const opens = callsTo('open_dev_shell').filter((a) => a.dir === '/Users/me/other app');
      if (opens.length !== 2) throw new Error(`${opens.length} opens`);
    });
    expect((await screen.findByTestId('devshell-message')).textContent).toBe('Opened default in XTerm (pre-built)');
  });

  it('explains a failure and applies a safe fix from the doctor', async () => {
    render(App);
    await screen.findByText('nixos');
    const why = await screen.findByTestId('explanation');
    expect(why.textContent).toContain('Plain mode is on: there is no guest agent.');
    const plain = row('nixos').querySelector('[data-finding="plain-mode"]')!;
    expect(plain.className).toContain('error');
    expect(row('nixos').querySelector('[data-finding="image-without-digest"] [data-action="fix"]')).toBeNull();
    const fix = plain.querySelector<HTMLButtonElement>('[data-action="fix"]')!;
    expect(fix.disabled).toBe(false); // nixos is stopped
    await fireEvent.click(fix);
    expectCalled('apply_fix', { name: 'nixos', id: 'plain-mode' });
    await waitFor(() => {
      if (row('nixos').querySelector('[data-testid="findings"]')) throw new Error('still listed');
    });
  });

  it('creates a NixOS VM from the form, with dropped folders, and shows its stages', async () => {
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(document.querySelector('[data-action="new-vm"]')!);
    const form = await screen.findByTestId('new-vm');
    const name = form.querySelector<HTMLInputElement>('input[name="name"]')!;
    expect(name.value).toBe('nixos-2'); // nixos is taken
    await push('drag', { kind: 'drop', paths: ['/Users/me/src/app'], x: 1, y: 1 });
    await waitFor(() => {
      if (!form.querySelector('[data-folder="/Users/me/src/app"]')) throw new Error('no folder yet');
    });
    expect(callsTo('share_folders')).toEqual([]);
    await fireEvent.input(name, { target: { value: 'my vm' } });
    await fireEvent.submit(form);
    expect((await screen.findByTestId('new-vm-error')).textContent).toContain('not a valid instance name');
    await fireEvent.input(name, { target: { value: 'dev' } });
    await fireEvent.submit(form);
    await waitFor(() => {
      if (callsTo('create_vm').length === 0) throw new Error('not created');
    });
    expectCalled('create_vm', { request: { name: 'dev', cpus: 4, memoryGib: 8, diskGib: 20, folders: ['/Users/me/src/app'] } });
    expect(screen.queryByTestId('new-vm')).toBeNull();
    await push('create', { name: 'dev', stage: 'downloading', label: 'downloading the image', secs: 2.1 });
    await waitFor(() => expect(screen.getByTestId('creating').textContent).toMatch(/^Creating dev: downloading the image… \d+\.\d s$/));
  });

  it('ticks a creation\'s elapsed time between Lima\'s stage lines', async () => {
    // Only a stopped VM: the creation alone must keep the clock running.
    snapshot = { ...snapshot, instances: [view('nixos')] };
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      render(App);
      await screen.findByText('nixos');
      await push('create', { name: 'big', stage: 'downloading', label: 'downloading the image', secs: 3 });
      await waitFor(() => expect(screen.getByTestId('creating').textContent).toContain('3.0 s'));
      // No new stage line for a minute and a half: the clock keeps counting.
      await vi.advanceTimersByTimeAsync(90_000);
      expect(screen.getByTestId('creating').textContent).toContain('1 min');
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows the logs live, filtered, in a bounded window', async () => {
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(row('nixos').querySelector('[data-action="logs"]')!);
    const logs = await screen.findByTestId('logs');
    await waitFor(() => {
      if (!logs.textContent!.includes('failed to start VZ')) throw new Error('not loaded');
    });
    expect(logs.textContent).not.toContain('Linux version'); // the console is the other tab
    await fireEvent.change(logs.querySelector('[data-testid="log-level"]')!, { target: { value: 'error' } });
    expect(logs.textContent).not.toContain('Waiting for the essential');
    expect(logs.textContent).toContain('failed to start VZ');
    await fireEvent.change(logs.querySelector('[data-testid="log-source"]')!, { target: { value: 'console' } });
    expect(logs.textContent).toContain('Linux version 6.12');
    await fireEvent.change(logs.querySelector('[data-testid="log-source"]')!, { target: { value: 'hostAgent' } });
    await fireEvent.change(logs.querySelector('[data-testid="log-level"]')!, { target: { value: 'info' } });
    const many = Array.from({ length: 3000 }, (_, i): LogLine => ({ source: 'hostAgent', level: 'info', time: null, msg: `line ${i}` }));
    await push('logs', { name: 'nixos', lines: many });
    await waitFor(() => {
      if (!logs.textContent!.includes('line 2999')) throw new Error('not appended: ' + logs.textContent!.slice(0, 300));
    });
    expect(logs.querySelectorAll('ol > li').length).toBe(1000);
    await fireEvent.input(logs.querySelector('[data-testid="log-filter"]')!, { target: { value: 'line 2998' } });
    expect(logs.querySelectorAll('ol > li').length).toBe(1);
    await fireEvent.click(row('nixos').querySelector('[data-action="logs"]')!);
    await waitFor(() => {
      if (callsTo('close_logs').length === 0) throw new Error('not closed');
    });
  });

  it('deletes only after confirmation and explains a refusal', async () => {
    render(App);
    await screen.findByText('nixos');
    expect(row('web').querySelector('[data-action="delete"]')).toBeNull(); // running
    await fireEvent.click(row('nixos').querySelector('[data-action="delete"]')!);
    expect(callsTo('delete_vm')).toEqual([]);
    const confirm = await screen.findByTestId('confirm-delete');
    expect(confirm.textContent).toContain('Delete nixos and its disk?');
    await fireEvent.click(confirm.querySelector('[data-action="confirm-delete"]')!);
    expectCalled('delete_vm', { name: 'nixos' });
    expect((await screen.findByTestId('delete-error')).textContent).toContain('limactl unprotect nixos');
  });

  it('offers to delete a broken VM that is not running, saying Lima stops what is left', async () => {
    snapshot = { ...snapshot, instances: [view('nixos', { kind: 'broken', reason: 'failed to get Info from ha.sock' }, { status: 'Broken' })] };
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(row('nixos').querySelector('[data-action="delete"]')!);
    const confirm = await screen.findByTestId('confirm-delete');
    expect(confirm.textContent).toContain('Lima first stops whatever is left of it');
  });

  it('saves each setting at once and refuses a limactl that is not there', async () => {
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(document.querySelector('[data-action="settings"]')!);
    const panel = await screen.findByTestId('settings');
    await waitFor(() => {
      if (!panel.querySelector('[data-testid="setting-notify-problems"]')) throw new Error('loading');
    });
    await fireEvent.click(panel.querySelector('[data-testid="setting-notify-problems"]')!);
    await waitFor(() => {
      if (callsTo('save_settings').length === 0) throw new Error('not saved');
    });
    expectCalled('save_settings', { update: { limactl: '', notifyReady: true, notifyProblems: false, openAtLogin: false } });
    await fireEvent.change(panel.querySelector('[data-testid="setting-limactl"]')!, { target: { value: '/nope' } });
    expect((await screen.findByTestId('settings-error')).textContent).toContain('is not a file');
    await fireEvent.change(panel.querySelector('[data-testid="setting-limactl"]')!, { target: { value: '/usr/local/bin/limactl' } });
    expect((await screen.findByTestId('settings-saved')).textContent).toBe('Saved.');
    expect(panel.textContent).toContain('not in use yet');
  });

  it('keeps what is being typed in the limactl field when the settings are read again', async () => {
    settingsLimactl = '/opt/homebrew/bin/limactl';
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(document.querySelector('[data-action="settings"]')!);
    const panel = await screen.findByTestId('settings');
    const field = await waitFor(() => {
      const f = panel.querySelector<HTMLInputElement>('[data-testid="setting-limactl"]');
      if (!f || f.value !== '/opt/homebrew/bin/limactl') throw new Error('loading');
      return f;
    });
    field.focus();
    field.value = '/usr/local/bin/lim';
    // A reconnect (the last save, or Lima coming back) reads the settings again.
    const reads = callsTo('get_settings').length;
    await push('lima', connected);
    await waitFor(() => expect(callsTo('get_settings').length).toBeGreaterThan(reads));
    expect(field.value).toBe('/usr/local/bin/lim');
    // Once the user has left it, it shows the saved value again.
    field.blur();
    await push('lima', { ...connected });
    await waitFor(() => expect(field.value).toBe('/opt/homebrew/bin/limactl'));
  });

  it('shows the limactl in use once a saved path has connected', async () => {
    render(App);
    await screen.findByText('nixos');
    await fireEvent.click(document.querySelector('[data-action="settings"]')!);
    const panel = await screen.findByTestId('settings');
    const field = await waitFor(() => {
      const f = panel.querySelector<HTMLInputElement>('[data-testid="setting-limactl"]');
      if (!f) throw new Error('loading');
      return f;
    });
    expect(panel.textContent).toContain('In use: /opt/homebrew/bin/limactl');
    await fireEvent.change(field, { target: { value: '/usr/local/bin/limactl' } });
    await screen.findByTestId('settings-saved');
    // The backend connects again in the background: first `connecting`, then the new Lima.
    await push('lima', { kind: 'connecting' });
    limactlInUse = '/usr/local/bin/limactl';
    snapshot = { ...snapshot, lima: { kind: 'connected', info: { ...info, path: limactlInUse } } };
    await push('lima', snapshot.lima);
    await waitFor(() => expect(panel.textContent).toContain('In use: /usr/local/bin/limactl'));
    expect(panel.textContent).not.toContain('not in use yet');
  });
});

describe('a page made again (the webview was released while the popover was closed)', () => {
  it('comes back as the user left it, then says it is ready to be shown', async () => {
    snapshot = {
      ...snapshot,
      pinned: true,
      uiMemory: { newVm: { name: 'keep me', cpus: 2, memoryGib: 4, diskGib: 30, folders: ['/src/a b'] }, settingsOpen: false, logsOpen: 'web', deferred: [] },
    };
    render(App);
    const form = await screen.findByTestId('new-vm');
    expect((form.querySelector('input[name=name]') as HTMLInputElement).value).toBe('keep me');
    expect((form.querySelector('input[name=cpus]') as HTMLInputElement).value).toBe('2');
    expect(form.textContent).toContain('/src/a b');
    expect((await screen.findByTestId('logs')).getAttribute('aria-label')).toBe('Logs of web');
    expect(screen.getByText('Pinned')).toBeTruthy();
    await waitFor(() => expect(callsTo('page_ready')).toHaveLength(1));
  });

  it('keeps what the user is typing in Rust as it changes', async () => {
    render(App);
    await fireEvent.click(await screen.findByText('New VM…'));
    const name = (await screen.findByTestId('new-vm')).querySelector('input[name=name]') as HTMLInputElement;
    await fireEvent.input(name, { target: { value: 'half typed' } });
    await waitFor(() => expect((remembered as { newVm?: { name?: string } } | null)?.newVm?.name).toBe('half typed'));
    await fireEvent.click(screen.getAllByText('Logs')[0]);
    await waitFor(() => expect((remembered as { logsOpen?: string } | null)?.logsOpen).toBe('nixos'));
    // A change of the model that leaves the memory as it is sends nothing.
    const before = callsTo('remember_ui').length;
    await push('popover', false);
    await push('popover', true);
    expect(callsTo('remember_ui')).toHaveLength(before);
  });
});

describe('the command-line tool', () => {
  it('is linked into PATH from Settings and says where', async () => {
    render(App);
    await fireEvent.click(await screen.findByText('Settings…'));
    await fireEvent.click(await screen.findByText('Install command-line tool'));
    const said = await screen.findByTestId('cli-installed');
    expect(said.textContent).toContain('Installed: /home/alice/.local/bin/limabar');
    expect(said.textContent).not.toContain('add its folder to your PATH');
    expect(callsTo('install_cli')).toHaveLength(1);
  });
});

describe('updates', () => {
  it('checks from Settings, offers the install, and says why an install was refused', async () => {
    render(App);
    await fireEvent.click(await screen.findByText('Settings…'));
    expect((await screen.findByTestId('updates')).textContent).toContain('Limabar 0.1.0');
    await fireEvent.click(await screen.findByText('Check for Updates…'));
    expect((await screen.findByTestId('update-available')).textContent).toContain('Limabar 0.2.0 is available.');
    expect(screen.getByText('Faster boots.')).toBeTruthy();
    await fireEvent.click(screen.getByText('Install and Restart'));
    expect((await screen.findByTestId('update-error')).textContent).toContain('not signed with');
    expect(callsTo('install_update')).toHaveLength(1);
  });

  it('follows a check made from the tray while Settings is open', async () => {
    render(App);
    await fireEvent.click(await screen.findByText('Settings…'));
    await screen.findByText('Check for Updates…');
    await push('update', { current: '0.1.0', status: { state: 'available', version: '0.3.0', notes: null } });
    expect((await screen.findByTestId('update-available')).textContent).toContain('0.3.0');
    expect(callsTo('check_for_updates')).toHaveLength(0);
  });

  it('says a build from source takes no updates, with nothing to click', async () => {
    backend.update_status = () => ({ current: '0.1.0', status: { state: 'notConfigured' } });
    render(App);
    await fireEvent.click(await screen.findByText('Settings…'));
    expect((await screen.findByTestId('updates')).textContent).toContain('not set up in this build');
    expect(screen.queryByText('Check for Updates…')).toBeNull();
  });
});

/** The flake's "Open in <editor>" button, once the editors are known. */
const editorButton = (within: HTMLElement) =>
  waitFor(() => {
    const b = within.querySelector<HTMLElement>('[data-flake] [data-action="open-editor"]');
    if (!b) throw new Error('no editor button yet');
    return b;
  });

describe('editors', () => {
  it('opens a flake folder in the chosen editor and says where', async () => {
    render(App);
    await screen.findByText('web');
    const flake = await waitFor(() => {
      const el = row('web').querySelector<HTMLElement>('[data-flake="/Users/me/src/app"]');
      if (!el) throw new Error('no flake yet');
      return el;
    });
    const button = await editorButton(flake);
    expect(button.textContent).toContain('Open in VS Code');
    await fireEvent.click(button);
    expectCalled('open_in_editor', { name: 'web', dir: '/Users/me/src/app' });
    expect((await screen.findByTestId('devshell-message')).textContent).toBe('Opened src/app in VS Code');
  });

  it('opens a writable shared folder in the editor from its row', async () => {
    snapshot = { ...snapshot, instances: [view('web', { kind: 'ready', sshPort: 1, bootSecs: 10.6, since: Date.now() }, { mounts: [{ location: '/Users/me/src/app', mountPoint: '/Users/me/src/app', writable: true }, { location: '/Users/me', mountPoint: '/Users/me', writable: false }] })] };
    render(App);
    const open = await waitFor(() => {
      const b = row('web').querySelector<HTMLElement>('[data-mount="/Users/me/src/app"] [data-action="open-editor-mount"]');
      if (!b) throw new Error('no Open yet');
      return b;
    });
    // A read-only folder is not offered: editors write.
    expect(row('web').querySelector('[data-mount="/Users/me"] [data-action="open-editor-mount"]')).toBeNull();
    await fireEvent.click(open);
    expectCalled('open_in_editor', { name: 'web', dir: '/Users/me/src/app' });
    expect((await screen.findByTestId('mount-editor-message')).textContent).toBe('Opened in VS Code');
  });

  it('copies the ssh host for JetBrains Gateway instead of running anything', async () => {
    backend.open_in_editor = ({ name }) => ({ editor: 'JetBrains Gateway', host: `lima-${name}`, copyHost: true, spawnMs: 0, startedVm: false, sshHostsReady: true, guestFindings: [] });
    render(App);
    await screen.findByText('web');
    const button = await editorButton(row('web'));
    await fireEvent.click(button);
    expect((await screen.findByTestId('devshell-message')).textContent).toContain('Copied lima-web: connect to it in JetBrains Gateway');
  });

  it('offers once to add the ssh hosts when the editor cannot know lima-NAME yet', async () => {
    backend.open_in_editor = ({ name }) => ({ editor: 'VS Code', host: `lima-${name}`, copyHost: false, spawnMs: 3, startedVm: false, sshHostsReady: false, guestFindings: [] });
    render(App);
    await screen.findByText('web');
    const button = await editorButton(row('web'));
    await fireEvent.click(button);
    const offer = await screen.findByTestId('ssh-offer');
    expect(offer.textContent).toContain('VS Code reaches lima-web through ~/.ssh/config');
    expect(callsTo('ssh_config')).toHaveLength(0);
    await fireEvent.click(screen.getByText('Add them'));
    expectCalled('ssh_config', { install: true });
    expect((await screen.findByTestId('devshell-message')).textContent).toContain('Added');
    // Once: opening again does not ask again.
    await fireEvent.click(button);
    await waitFor(() => expect(callsTo('open_in_editor')).toHaveLength(2));
    expect(screen.queryByTestId('ssh-offer')).toBeNull();
  });

  it('shows what a running VM holds against what its guest uses, and offers the restart', async () => {
    memoryOf = (name) => ({ name, heldBytes: 6 * GIB, guestTotalBytes: 8 * GIB, guestUsedBytes: 1.5 * GIB, returnableBytes: 4.5 * GIB, restartSecs: 10.6 });
    render(App);
    const mem = await waitFor(() => {
      const m = row('web').querySelector<HTMLElement>('[data-testid=memory]');
      if (!m) throw new Error('no memory yet');
      return m;
    });
    expectCalled('memory', { name: 'web' });
    expect(mem.textContent).toContain('holds 6 GiB here · 1.5 GiB of 8 GiB used in the guest');
    // The header sums what the running VMs hold (here one: the stopped one holds nothing).
    expect(screen.getByTestId('memory-total').textContent?.trim()).toBe("Running VMs hold 6 GiB of this computer's memory");
    // A stopped VM is not asked.
    expect(callsTo('memory').some((a) => a.name === 'nixos')).toBe(false);
    const offer = mem.querySelector<HTMLElement>('[data-action=restart-to-return]')!;
    expect(offer.textContent?.trim()).toBe('Restart to return about 4.5 GiB (about 11 s)');
    await fireEvent.click(offer);
    expectCalled('run_operation', { name: 'web', operation: 'restart' });
  });

  it("lists a running VM's ports, opens those that answer HTTP, and names a collision", async () => {
    const port = (p: Partial<PortView>): PortView => ({ protocol: 'tcp', guestAddr: '0.0.0.0:8080', hostAddr: '127.0.0.1:8080', state: 'forwarding', error: null, conflict: null, ...p });
    httpPorts = [8080];
    snapshot = {
      ...snapshot,
      instances: [
        view('web', { kind: 'ready', sshPort: 1, bootSecs: 9, since: Date.now() }, {
          ports: [
            port({ conflict: { kind: 'wantedBy', others: ['api'] } }),
            port({ guestAddr: '127.0.0.1:5432', hostAddr: '127.0.0.1:5432' }),
            port({ guestAddr: '127.0.0.1:53', hostAddr: null, state: 'not-forwarding' }),
          ],
        }),
        view('api', { kind: 'ready', sshPort: 2, bootSecs: 9, since: Date.now() }, {
          ports: [
            port({ state: 'failed', error: 'listen tcp 127.0.0.1:8080: bind: address already in use', conflict: { kind: 'heldBy', owner: 'web' } }),
            port({ guestAddr: '0.0.0.0:3000', hostAddr: '127.0.0.1:3000', state: 'failed', error: 'listen tcp 127.0.0.1:3000: bind: address already in use', conflict: { kind: 'heldByProgram', program: 'python3', pid: 4242 } }),
          ],
        }),
      ],
    };
    render(App);
    const http = await waitFor(() => {
      const b = row('web').querySelector<HTMLElement>('[data-port="8080"] [data-action=open-port]');
      if (!b) throw new Error('no Open yet');
      return b;
    });
    expectCalled('http_ports', { name: 'web' });
    // 5432 does not answer HTTP: copy only.
    expect(row('web').querySelector('[data-port="5432"] [data-action=open-port]')).toBeNull();
    expect(row('web').querySelector('[data-port="5432"] [data-action=copy-port]')).not.toBeNull();
    expect(row('web').textContent).toContain('1 more not forwarded (by the portForwards rules)');
    expect(row('web').querySelector('[data-port="8080"] [data-testid=port-conflict]')?.textContent).toBe('api wanted it too');
    expect(row('api').querySelector('[data-port="8080"] [data-testid=port-conflict]')?.textContent).toBe('held by web');
    expect(row('api').querySelector('[data-port="3000"] [data-testid=port-conflict]')?.textContent).toBe('held by python3 (pid 4242) on this computer');
    expect(row('api').querySelector('[data-testid=port-error]')?.textContent).toContain('address already in use');
    // A failed forward cannot be opened or copied.
    expect(row('api').querySelector('[data-action=open-port]')).toBeNull();
    await fireEvent.click(http);
    expectCalled('open_port', { name: 'web', port: 8080 });
  });

  it('says why an editor will not work in a NixOS guest without nix-ld, with the snippet', async () => {
    backend.open_in_editor = ({ name }) => ({ editor: 'VS Code', host: `lima-${name}`, copyHost: false, spawnMs: 3, startedVm: false, sshHostsReady: true, guestFindings: [nixLd] });
    render(App);
    await screen.findByText('web');
    await fireEvent.click(await editorButton(row('web')));
    const fix = await screen.findByTestId('guest-fix');
    expect(fix.dataset.finding).toBe('guest-nix-ld');
    expect(fix.textContent).toContain("VS Code's server will not start in web: nix-ld is not enabled there.");
    expect(fix.querySelector('[data-testid=guest-snippet]')?.textContent).toBe('programs.nix-ld.enable = true;');
    // Still true while the VM's diagnosis has the finding; gone once a newer one has not
    // ("Check again" after the rebuild).
    await push('diagnosis', { name: 'web', findings: [nixLd], explanation: null });
    expect(screen.queryByTestId('guest-fix')).not.toBeNull();
    await push('diagnosis', { name: 'web', findings: [], explanation: null });
    await waitFor(() => expect(screen.queryByTestId('guest-fix')).toBeNull());
    // A guest that is ready for editors says nothing more than "Opened".
    backend.open_in_editor = ({ name }) => ({ editor: 'VS Code', host: `lima-${name}`, copyHost: false, spawnMs: 3, startedVm: false, sshHostsReady: true, guestFindings: [] });
    await fireEvent.click(await editorButton(row('web')));
    await waitFor(() => expect(screen.queryByTestId('guest-fix')).toBeNull());
  });

  it('offers a .envrc for a flake folder without one, once', async () => {
    render(App);
    const add = await waitFor(() => {
      const b = row('web').querySelector<HTMLElement>('[data-flake="/Users/me/src/app"] [data-action=add-envrc]');
      if (!b) throw new Error('no Add .envrc yet');
      return b;
    });
    await fireEvent.click(add);
    expectCalled('add_envrc', { name: 'web', dir: '/Users/me/src/app' });
    expect((await screen.findByTestId('devshell-message')).textContent).toBe('Added .envrc (use flake); direnv allowed it in web');
    // Listed again: the folder has one now, so it is not offered any more.
    await waitFor(() => expect(row('web').querySelector('[data-action=add-envrc]')).toBeNull());
  });

  it("shows the guest's findings with the NixOS snippet, and checks again when asked", async () => {
    backend.diagnosis = ({ name }) => ({ name, findings: name === 'web' ? [nixLd] : [], explanation: null });
    render(App);
    const finding = await waitFor(() => {
      const f = row('web').querySelector<HTMLElement>('[data-finding="guest-nix-ld"]');
      if (!f) throw new Error('no finding yet');
      return f;
    });
    expect(finding.querySelector('[data-testid=guest-snippet]')?.textContent).toBe('programs.nix-ld.enable = true;');
    // No lima.yaml edit fixes the guest: no Fix button, "Check again" instead.
    expect(finding.querySelector('[data-action=fix]')).toBeNull();
    await fireEvent.click(row('web').querySelector<HTMLElement>('[data-action=check-guest]')!);
    expectCalled('check_guest', { name: 'web' });
    await waitFor(() => expect(row('web').querySelector('[data-finding="guest-nix-ld"]')).toBeNull());
  });

  it('adds Lima hosts to ~/.ssh/config only when asked, and says what it did', async () => {
    render(App);
    await fireEvent.click(await screen.findByText('Settings…'));
    expect((await screen.findByTestId('setting-editor') as HTMLSelectElement).value).toBe('vscode');
    expect(callsTo('ssh_config')).toHaveLength(0);
    await fireEvent.click(screen.getByText("Add Lima's VMs to ~/.ssh/config"));
    expectCalled('ssh_config', { install: true });
    const said = await screen.findByTestId('ssh-config-result');
    expect(said.textContent).toContain('Added `Include /home/alice/.lima/*/ssh.config`');
    expect(said.textContent).toContain('config.limabar-backup');
  });
});
