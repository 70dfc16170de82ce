import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { FileProbe, INSTALL_COMMAND, bundledServerPath, expandPath, findServer } from '../src/discovery';
import { elf } from './headers';

type Entry = { dir?: boolean; exec?: boolean; header?: Buffer };

function probe(files: Record<string, Entry>): FileProbe {
  return {
    kind: (p) => (files[p] ? (files[p].dir ? 'dir' : 'file') : undefined),
    executable: (p) => files[p]?.exec !== false,
    header: (p) => files[p]?.header,
  };
}

const x64 = elf(0x3e);
const arm64 = elf(0xb7);
const base = { setting: '', extensionPath: '/ext', platform: 'linux', arch: 'x64', envPath: '/usr/local/bin:/home/u/go/bin', home: '/home/u', workspaceFolder: '/repo' };

test('bundled path is server/<platform>-<arch>/gitops-lsp', () => {
  assert.equal(bundledServerPath('/ext', 'linux', 'x64'), path.join('/ext', 'server', 'linux-x64', 'gitops-lsp'));
  assert.equal(bundledServerPath('/ext', 'win32', 'x64'), path.join('/ext', 'server', 'win32-x64', 'gitops-lsp.exe'));
});

test('order: setting, then bundled, then PATH', () => {
  const files = {
    '/opt/lsp/gitops-lsp': { header: x64 },
    '/ext/server/linux-x64/gitops-lsp': { header: x64 },
    '/home/u/go/bin/gitops-lsp': { header: x64 },
  };
  assert.deepEqual(findServer({ ...base, setting: '/opt/lsp/gitops-lsp' }, probe(files)), { ok: true, path: '/opt/lsp/gitops-lsp', source: 'setting', notes: [] });
  assert.deepEqual(findServer(base, probe(files)), { ok: true, path: '/ext/server/linux-x64/gitops-lsp', source: 'bundled', notes: [] });
  const noBundle = { ...files } as Record<string, Entry>;
  delete noBundle['/ext/server/linux-x64/gitops-lsp'];
  assert.deepEqual(findServer(base, probe(noBundle)), { ok: true, path: '/home/u/go/bin/gitops-lsp', source: 'path', notes: [] });
});

test('the setting accepts ~, ${workspaceFolder}, a folder and a relative path', () => {
  const files = { '/home/u/bin/gitops-lsp': { header: x64 }, '/repo/tools/gitops-lsp': { header: x64 }, '/repo/tools': { dir: true } };
  const f = (setting: string) => findServer({ ...base, setting }, probe(files));
  assert.equal(f('~/bin/gitops-lsp').ok && (f('~/bin/gitops-lsp') as { path: string }).path, '/home/u/bin/gitops-lsp');
  assert.equal((f('${workspaceFolder}/tools/gitops-lsp') as { path: string }).path, '/repo/tools/gitops-lsp');
  assert.equal((f('tools') as { path: string }).path, '/repo/tools/gitops-lsp');
  assert.equal(expandPath('  ./x ', '/home/u', '/repo'), '/repo/x');
});

test('a setting pointing nowhere is reported, not replaced by another binary', () => {
  const d = findServer({ ...base, setting: '/nope/gitops-lsp' }, probe({ '/home/u/go/bin/gitops-lsp': { header: x64 } }));
  assert.equal(d.ok, false);
  assert.equal(!d.ok && d.reason, 'setting-missing');
  assert.match(!d.ok ? d.message : '', /gitops\.server\.path is "\/nope\/gitops-lsp", but there is no file at \/nope\/gitops-lsp/);
});

test('a setting pointing at a binary of another architecture says which and how to fix it', () => {
  const d = findServer({ ...base, setting: '/opt/gitops-lsp' }, probe({ '/opt/gitops-lsp': { header: arm64 } }));
  assert.equal(!d.ok && d.reason, 'wrong-arch');
  const msg = !d.ok ? d.message : '';
  assert.match(msg, /is built for linux\/arm64, but VS Code runs on linux\/x64/);
  assert.ok(msg.includes(INSTALL_COMMAND));
});

test('a wrong-architecture bundled binary falls through to PATH, with a note', () => {
  const d = findServer(base, probe({ '/ext/server/linux-x64/gitops-lsp': { header: arm64 }, '/usr/local/bin/gitops-lsp': { header: x64 } }));
  assert.equal(d.ok && d.path, '/usr/local/bin/gitops-lsp');
  assert.match(d.notes.join('\n'), /ignored the bundled .* built for linux\/arm64/);
});

test('only wrong-architecture binaries: wrong-arch, naming the first', () => {
  const d = findServer(base, probe({ '/usr/local/bin/gitops-lsp': { header: arm64 }, '/home/u/go/bin/gitops-lsp': { header: arm64 } }));
  assert.equal(!d.ok && d.reason, 'wrong-arch');
  assert.equal(!d.ok && d.path, '/usr/local/bin/gitops-lsp');
});

test('PATH entries that are not executable or are folders are skipped', () => {
  const d = findServer(base, probe({ '/usr/local/bin/gitops-lsp': { exec: false, header: x64 }, '/home/u/go/bin/gitops-lsp': { header: x64 } }));
  assert.equal(d.ok && d.path, '/home/u/go/bin/gitops-lsp');
  const none = findServer({ ...base, envPath: '' }, probe({ '/usr/local/bin/gitops-lsp': { dir: true } }));
  assert.equal(none.ok, false);
});

test('nothing found: the message names what was tried and the install command', () => {
  const d = findServer(base, probe({}));
  assert.equal(!d.ok && d.reason, 'not-found');
  const msg = !d.ok ? d.message : '';
  assert.match(msg, /not found/);
  assert.match(msg, /linux-x64/);
  assert.ok(msg.includes(`Install it with: ${INSTALL_COMMAND}`));
});

test('Windows: ; separates PATH and the binary is gitops-lsp.exe', () => {
  const d = findServer({ ...base, platform: 'win32', envPath: 'C:\\nope;/w/bin' }, probe({ [path.join('/w/bin', 'gitops-lsp.exe')]: {} }));
  assert.equal(d.ok && d.source, 'path');
});

test('a file that is no program (no ELF, Mach-O, PE header or #! line) is refused with a reason', () => {
  const d = findServer({ ...base, setting: '/opt/gitops-lsp' }, probe({ '/opt/gitops-lsp': { header: Buffer.from('<html>404</html>') } }));
  assert.equal(!d.ok && d.reason, 'wrong-arch');
  assert.match(!d.ok ? d.message : '', /\/opt\/gitops-lsp is not a program this machine can run/);
  const script = findServer({ ...base, setting: '/opt/gitops-lsp' }, probe({ '/opt/gitops-lsp': { header: Buffer.from('#!/bin/sh\n') } }));
  assert.equal(script.ok, true);
});
