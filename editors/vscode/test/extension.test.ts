// The extension itself (src/extension.ts with vscode-languageclient) run in
// Node against a stand-in `vscode` module: activation, the missing and
// wrong-architecture server messages, crash handling, and, when gitops-lsp is
// available, the commands, status bar and settings changes against the real
// server on a copy of testdata/demo.
import { describe, it, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFakeVscode, FakeOptions, FakeVscode } from './fakevscode';
import { elf } from './headers';
import { diskProbe, findServer, INSTALL_COMMAND } from '../src/discovery';
import type * as Extension from '../src/extension';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require('node:module') as { _load: (req: string, ...rest: unknown[]) => unknown };
const realLoad = Module._load;

const extensionDir = path.resolve(__dirname, '..', '..');
const repoRoot = path.resolve(extensionDir, '..', '..');
const BASE_URL = 'ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git';

let running: { ext: Extension.GitopsExtension; fake: FakeVscode; tmp: string; envPath?: string } | undefined;

/** Loads the extension and the language client afresh, bound to a new fake vscode, and activates it. */
async function activate(opts: FakeOptions & { extensionPath?: string; envPath?: string; crash?: Partial<import('../src/crash').CrashPolicyOptions> }, tmp: string) {
  const fake = createFakeVscode(opts);
  for (const k of Object.keys(require.cache)) {
    if (/vscode-languageclient|[\\/]out[\\/]src[\\/]/.test(k)) {
      delete require.cache[k];
    }
  }
  Module._load = function (req: string, ...rest: unknown[]) {
    return req === 'vscode' ? fake.vscode : realLoad.call(this, req, ...rest);
  };
  const savedPath = process.env.PATH;
  if (opts.envPath !== undefined) {
    process.env.PATH = opts.envPath;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('../src/extension') as typeof Extension;
  const context = { extensionPath: opts.extensionPath ?? tmp, subscriptions: [] as { dispose(): void }[] };
  const ext = new mod.GitopsExtension(context as never, { maxCrashes: 3, windowMs: 60_000, baseDelayMs: 10, maxDelayMs: 40, ...opts.crash });
  running = { ext, fake, tmp, envPath: savedPath };
  ext.register();
  await ext.startDetected();
  return { ext, fake };
}

afterEach(async () => {
  if (running) {
    await running.ext.stopAll();
    running.ext.dispose();
    process.env.PATH = running.envPath;
    fs.rmSync(running.tmp, { recursive: true, force: true });
    running = undefined;
  }
  Module._load = realLoad;
});

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-ext-'));
}

/** A folder that looks like an openCenter repository, without content. */
function overlayFolder(tmp: string, name: string): string {
  const f = path.join(tmp, name);
  fs.mkdirSync(path.join(f, 'applications', 'overlays', 'dev-cluster'), { recursive: true });
  return f;
}

describe('extension without a server', () => {
  it('registers every command with no folder open and explains what to open', async () => {
    const tmp = tmpdir();
    const { fake } = await activate({ folders: [], settings: {} }, tmp);
    for (const id of ['gitops.start', 'gitops.restart', 'gitops.promoteService', 'gitops.pinPrevious', 'gitops.showMatrix', 'gitops.showOutput', 'gitops.promote', 'gitops.pin', 'gitops.matrix', 'gitops.services', 'gitops.sources']) {
      assert.ok(fake.commands.has(id), `${id} not registered`);
    }
    assert.equal(fake.statusItem.visible, false);
    await fake.commands.get('gitops.start')!();
    assert.match(fake.shown.at(-1)?.message ?? '', /open the folder of a GitOps repository first/);
    await fake.commands.get('gitops.promoteService')!();
    assert.match(fake.shown.at(-1)?.message ?? '', /no GitOps language server is running/);
  });

  it('says once, with the install command, that no server was found, even for two folders', async () => {
    const tmp = tmpdir();
    const folders = [overlayFolder(tmp, 'a'), overlayFolder(tmp, 'b')];
    const { fake } = await activate({ folders, settings: {}, envPath: path.join(tmp, 'empty-bin') }, tmp);
    const errors = fake.shown.filter((s) => s.level === 'error');
    assert.equal(errors.length, 1, JSON.stringify(fake.shown));
    assert.ok(errors[0].message.includes(INSTALL_COMMAND), errors[0].message);
    assert.deepEqual(errors[0].items, ['Copy Install Command', 'Open Settings']);
    assert.equal(fake.statusItem.visible, true);
    assert.equal(fake.statusItem.text, '$(circle-slash) GitOps');
    // Asked for by hand, it says it again.
    await fake.commands.get('gitops.restart')!();
    assert.equal(fake.shown.filter((s) => s.level === 'error').length, 2);
  });

  it('names the architecture of a server built for another machine', async () => {
    const tmp = tmpdir();
    const other = process.arch === 'arm64' ? 0x3e : 0xb7;
    const bin = path.join(tmp, 'gitops-lsp');
    fs.writeFileSync(bin, Buffer.concat([elf(other), Buffer.alloc(4096)]), { mode: 0o755 });
    const { fake } = await activate({ folders: [overlayFolder(tmp, 'repo')], settings: { 'server.path': bin } }, tmp);
    const e = fake.shown.find((s) => s.level === 'error');
    assert.match(e?.message ?? '', new RegExp(`gitops.server.path ${bin.replace(/[/\\.]/g, '\\$&')} is built for linux/(x64|arm64), but VS Code runs on ${process.platform}/${process.arch}`));
  });

  it('restarts a crashing server with back-off, then stops and says so', { skip: process.platform === 'win32' && 'needs a shell script as the server' }, async () => {
    const tmp = tmpdir();
    const bin = path.join(tmp, 'crashing-lsp');
    // Answers initialize, then dies as a server with a bug would, mid-session.
    fs.writeFileSync(
      bin,
      `#!${process.execPath}
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  if (buf.includes('"method":"initialized"')) { process.stderr.write('panic: boom\\n'); process.exit(2); }
  const m = /"id":(\\d+),"method":"initialize"/.exec(buf) || /"method":"initialize","id":(\\d+)/.exec(buf);
  if (m && !buf.includes('answered')) {
    buf += 'answered';
    const body = JSON.stringify({ jsonrpc: '2.0', id: Number(m[1]), result: { capabilities: {} } });
    process.stdout.write('Content-Length: ' + Buffer.byteLength(body) + '\\r\\n\\r\\n' + body);
  }
});
`,
      { mode: 0o755 },
    );
    const { fake } = await activate({ folders: [overlayFolder(tmp, 'repo')], settings: { 'server.path': bin } }, tmp);
    const e = await fake.until('the give-up message', () => fake.shown.find((s) => s.level === 'error' && /crashed 3 times/.test(s.message)));
    assert.match(e.message, /will not be restarted automatically.*GitOps: Restart Server/);
    assert.deepEqual(e.items, ['Show Output', 'Restart']);
    assert.equal(fake.statusItem.text, '$(error) GitOps: stopped');
    assert.equal(fake.statusItem.command, 'gitops.restart');
    assert.equal(fake.output.filter((l) => /exited unexpectedly/.test(l)).length, 2, fake.output.join('\n'));
  });

  it('reports a server file that is no program at once, without starting it', { skip: process.platform === 'win32' && 'Windows runs files by extension' }, async () => {
    const tmp = tmpdir();
    const bin = path.join(tmp, 'gitops-lsp');
    fs.writeFileSync(bin, 'not a program, no #! line\n', { mode: 0o755 });
    const { fake } = await activate({ folders: [overlayFolder(tmp, 'repo')], settings: { 'server.path': bin } }, tmp);
    const e = await fake.until('the start error', () => fake.shown.find((s) => s.level === 'error'));
    assert.match(e.message, /gitops.server.path .*gitops-lsp is not a program this machine can run/);
    assert.equal(fake.statusItem.text, '$(circle-slash) GitOps');
    assert.match(String(fake.statusItem.tooltip), /is not a program this machine can run/);
    assert.ok(!fake.output.some((l) => /starting|exited unexpectedly/.test(l)), fake.output.join('\n'));
  });
});

const found = findServer(
  { setting: process.env.GITOPS_LSP_PATH ?? '', extensionPath: extensionDir, platform: process.platform, arch: process.arch, envPath: process.env.PATH ?? '', home: os.homedir() },
  diskProbe,
);

describe('extension with gitops-lsp on testdata/demo', { skip: !found.ok && `no usable gitops-lsp (${found.reason}); see the protocol test` }, () => {
  it('shows the analysis, runs the commands and applies new settings without a restart', async () => {
    assert.ok(found.ok);
    const tmp = tmpdir();
    const folder = path.join(tmp, 'demo');
    fs.cpSync(path.join(repoRoot, 'testdata', 'demo'), folder, { recursive: true });
    const settings: Record<string, unknown> = {
      'server.path': found.path,
      offline: true,
      mirrors: { [BASE_URL]: path.join(repoRoot, 'testdata', 'gitops-base.git') },
    };
    const cache = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = path.join(tmp, 'cache'); // the server's cache, inherited at spawn
    const { fake } = await activate({ folders: [folder], settings, picks: ['cert-manager', 'staging-cluster'], extensionPath: extensionDir }, tmp).finally(() => {
      if (cache === undefined) {
        delete process.env.XDG_CACHE_HOME;
      } else {
        process.env.XDG_CACHE_HOME = cache;
      }
    });

    // The status bar follows gitops/status: the demo has six errors.
    await fake.until('six errors in the status bar', () => fake.statusItem.text === '$(error) GitOps 6');
    assert.match(String(fake.statusItem.tooltip), /6 errors, 1 warning/);
    const diags = [...fake.diagnostics.values()].flat();
    assert.ok(diags.length > 0 && diags.every((d) => d.source === 'gitops'), JSON.stringify(diags.slice(0, 3)));

    // The matrix webview.
    await fake.commands.get('gitops.showMatrix')!();
    assert.equal(fake.panels.length, 1);
    assert.match(fake.panels[0].webview.html, /<th scope="row">cert-manager<\/th><td class="first"/);

    // Promote Service…: service, then target environment; the server's edit is applied by the editor.
    await fake.commands.get('gitops.promoteService')!();
    assert.deepEqual(fake.pickPlaceholders.slice(0, 2), ['Promote which service?', 'Promote cert-manager to which environment?']);
    assert.equal(fake.applied.length, 1, JSON.stringify(fake.shown));
    const done = fake.shown.find((s) => s.level === 'info');
    assert.match(done?.message ?? '', /^Promoted cert-manager from dev-cluster to staging-cluster: \d+ files? changed\.$/);

    // A new rule severity reaches the running server: the two flux/path-not-found errors go.
    fake.setSettings({ ...settings, rules: { 'flux/path-not-found': 'off' } });
    await fake.until('four errors after turning flux/path-not-found off', () => fake.statusItem.text === '$(error) GitOps 4');
    assert.equal(fake.shown.filter((s) => s.level === 'error').length, 0, JSON.stringify(fake.shown));
  });
});
