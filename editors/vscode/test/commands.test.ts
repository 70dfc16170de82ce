import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  describeEdit,
  orderServices,
  orderSources,
  overlayLocation,
  parseEditResult,
  parseServiceList,
  parseSources,
  pinArguments,
  promoteArguments,
  promotionSteps,
} from '../src/commands';

const envs = ['dev-cluster', 'staging-cluster', 'prod-cluster'];

test('gitops.promote arguments follow the contract', () => {
  assert.deepEqual(promoteArguments('cert-manager', { from: 'dev-cluster', to: 'staging-cluster' }), [
    { service: 'cert-manager', from: 'dev-cluster', to: 'staging-cluster', force: false },
  ]);
  assert.deepEqual(promoteArguments('cert-manager', { from: 'dev-cluster', to: 'staging-cluster' }, true)[0].force, true);
  assert.throws(() => promoteArguments('', { from: 'a', to: 'b' }), /cannot promote/);
  assert.throws(() => promoteArguments('x', { from: 'a', to: 'a' }), /cannot promote/);
});

test('gitops.pin arguments follow the contract', () => {
  const s = { name: 'opencenter-cert-manager', cluster: 'dev-cluster', tag: '2026.02', url: 'ssh://x' };
  assert.deepEqual(pinArguments(s), [{ source: 'opencenter-cert-manager', cluster: 'dev-cluster', to: 'previous' }]);
  assert.deepEqual(pinArguments(s, '2026.01')[0].to, '2026.01');
});

test('promotion steps go one environment up the order, the current environment first', () => {
  assert.deepEqual(promotionSteps(envs), [
    { from: 'dev-cluster', to: 'staging-cluster' },
    { from: 'staging-cluster', to: 'prod-cluster' },
  ]);
  assert.deepEqual(promotionSteps(envs, 'staging-cluster')[0], { from: 'staging-cluster', to: 'prod-cluster' });
  assert.deepEqual(promotionSteps(envs, 'prod-cluster')[0], { from: 'dev-cluster', to: 'staging-cluster' });
  assert.deepEqual(promotionSteps(['only']), []);
});

test('the file being edited tells the environment and the service', () => {
  assert.deepEqual(overlayLocation('applications/overlays/dev-cluster/services/cert-manager/kustomization.yaml'), { env: 'dev-cluster', service: 'cert-manager' });
  assert.deepEqual(overlayLocation('applications/overlays/dev-cluster/services/cert-manager/sub/x.yaml'), { env: 'dev-cluster', service: 'cert-manager' });
  assert.deepEqual(overlayLocation('applications/overlays/prod-cluster/services/fluxcd/gateway-api.yaml'), { env: 'prod-cluster', service: 'gateway-api' });
  assert.deepEqual(overlayLocation('applications\\overlays\\prod-cluster\\services\\fluxcd\\kustomization.yaml'), { env: 'prod-cluster' });
  assert.deepEqual(overlayLocation('applications/overlays/prod-cluster/services/sources/opencenter-cert-manager.yaml'), { env: 'prod-cluster' });
  assert.deepEqual(overlayLocation('applications/overlays/prod-cluster/kustomization.yaml'), { env: 'prod-cluster' });
  assert.deepEqual(overlayLocation('clusters/prod/flux-system/gotk-sync.yaml'), {});
  assert.deepEqual(overlayLocation('../elsewhere/applications/overlays'), {});
});

test('pickers put what is being edited first', () => {
  assert.deepEqual(orderServices(['a', 'b', 'c'], 'b'), ['b', 'a', 'c']);
  assert.deepEqual(orderServices(['a', 'b'], 'zzz'), ['a', 'b']);
  const src = (name: string, cluster: string) => ({ name, cluster, tag: '', url: '' });
  assert.deepEqual(
    orderSources([src('b', 'dev'), src('a', 'prod'), src('a', 'dev'), src('c', 'staging')], 'staging').map((s) => `${s.cluster}/${s.name}`),
    ['staging/c', 'dev/a', 'dev/b', 'prod/a'],
  );
});

test('server results are checked before use', () => {
  assert.deepEqual(parseServiceList({ environments: envs, services: ['cert-manager'] }), { environments: envs, services: ['cert-manager'] });
  assert.throws(() => parseServiceList(null), /gitops.services returned null/);
  assert.throws(() => parseServiceList({ environments: 'x', services: [] }), /not \{environments/);
  assert.deepEqual(parseSources([{ name: 'a', cluster: 'dev', tag: '1', url: 'u' }, { name: 3 }, null, { name: 'b', cluster: 'prod' }]), [
    { name: 'a', cluster: 'dev', tag: '1', url: 'u' },
    { name: 'b', cluster: 'prod', tag: '', url: '' },
  ]);
  assert.throws(() => parseSources({}), /not a list/);
  assert.deepEqual(parseEditResult({ applied: true, files: ['a', 'b'] }), { applied: true, files: ['a', 'b'] });
  assert.deepEqual(parseEditResult(undefined), { applied: false, files: [] });
});

test('edit results read as sentences', () => {
  assert.equal(describeEdit('Promoted x', { applied: true, files: ['a'] }), 'Promoted x: 1 file changed.');
  assert.equal(describeEdit('Promoted x', { applied: true, files: ['a', 'b'] }), 'Promoted x: 2 files changed.');
  assert.equal(describeEdit('Promoted x', { applied: true, files: [] }), 'Promoted x: nothing to change.');
  assert.match(describeEdit('Promoted x', { applied: false, files: ['a'] }), /not applied/);
});
