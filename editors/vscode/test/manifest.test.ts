// The package.json manifest against the code: every contributed command is
// registered, every setting is read, and activation covers the layouts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { documentSelector, looksLikeFlux, serverCommand } from '../src/clientconfig';

const root = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const extensionSource = fs.readFileSync(path.join(root, 'src', 'extension.ts'), 'utf8');

test('every contributed command is registered by the extension', () => {
  const ids: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
  assert.ok(ids.includes('gitops.promoteService') && ids.includes('gitops.pinPrevious') && ids.includes('gitops.showMatrix') && ids.includes('gitops.restart') && ids.includes('gitops.start'));
  for (const id of ids) {
    assert.ok(extensionSource.includes(`cmd('${id}'`), `${id} is contributed but not registered`);
  }
});

test('settings: the contract keys, the server path and the trace', () => {
  const props = Object.keys(manifest.contributes.configuration.properties).sort();
  assert.deepEqual(props, ['gitops.environments', 'gitops.mirrors', 'gitops.offline', 'gitops.rules', 'gitops.server.path', 'gitops.trace.server']);
  // The language client reads <id>.trace.server, so the client id must be "gitops".
  assert.match(extensionSource, /new GitopsClient\('gitops',/);
});

test('activation: overlays, .gitops.yaml, Flux layouts, YAML files', () => {
  const ev: string[] = manifest.activationEvents;
  assert.ok(ev.some((e) => e.startsWith('workspaceContains:') && e.includes('applications/overlays')));
  assert.ok(ev.includes('workspaceContains:.gitops.yaml'));
  assert.ok(ev.some((e) => e.includes('flux-system')));
  assert.ok(ev.includes('onLanguage:yaml'));
  assert.equal(manifest.main, './dist/extension.js');
  assert.match(manifest.devDependencies['@vscode/vsce'], /3\.9\./);
  assert.equal(manifest.dependencies['vscode-languageclient'].split('.')[0].replace(/\D/g, ''), '9');
});

test('the client handles only YAML files on disk in its folder', () => {
  assert.deepEqual(documentSelector('/work/repo/'), [{ scheme: 'file', language: 'yaml', pattern: '/work/repo/**/*' }]);
  assert.deepEqual(documentSelector('C:\\repos\\x'), [{ scheme: 'file', language: 'yaml', pattern: 'C:/repos/x/**/*' }]);
  assert.deepEqual(serverCommand('/bin/gitops-lsp', '/repo'), { command: '/bin/gitops-lsp', args: [], options: { cwd: '/repo' } });
});

test('Flux objects are recognised by their API group', () => {
  assert.ok(looksLikeFlux('apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n'));
  assert.ok(looksLikeFlux('---\n# x\napiVersion: "kustomize.toolkit.fluxcd.io/v1"\nkind: Kustomization\n'));
  assert.ok(looksLikeFlux('a: 1\n---\n  apiVersion: helm.toolkit.fluxcd.io/v2\n'));
  assert.ok(!looksLikeFlux('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n'));
  assert.ok(!looksLikeFlux('description: see source.toolkit.fluxcd.io/v1\n'));
});
