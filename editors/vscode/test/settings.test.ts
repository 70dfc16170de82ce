import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { SettingsReader, buildServerOptions, changeAction, configurationChange } from '../src/settings';

const ctx = { workspaceFolder: '/repo', home: '/home/u' };
const reader = (v: Record<string, unknown>): SettingsReader => (k) => v[k];

test('settings left at their defaults are not sent, so .gitops.yaml applies', () => {
  assert.deepEqual(buildServerOptions(reader({}), ctx), { options: {}, problems: [] });
  // Explicitly empty lists and maps mean "nothing to override" as well.
  assert.deepEqual(buildServerOptions(reader({ environments: [], mirrors: {}, rules: {} }), ctx).options, {});
});

test('every setting maps to the contract shape', () => {
  const { options, problems } = buildServerOptions(
    reader({
      environments: ['dev-cluster', 'staging-cluster', 'prod-cluster'],
      mirrors: { 'ssh://git@github.com/org/base.git': '../gitops-base.git', 'https://x/y.git': '~/mirrors/y', 'https://z/z.git': '${workspaceFolder}/z' },
      offline: true,
      rules: { 'secret/placeholder': 'off', 'flux/suspended': 'Error' },
    }),
    ctx,
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(options, {
    environments: ['dev-cluster', 'staging-cluster', 'prod-cluster'],
    mirrors: { 'ssh://git@github.com/org/base.git': '/gitops-base.git', 'https://x/y.git': '/home/u/mirrors/y', 'https://z/z.git': '/repo/z' },
    offline: true,
    rules: { 'secret/placeholder': 'off', 'flux/suspended': 'error' },
  });
});

test('offline: false set by the user is sent (it may override .gitops.yaml)', () => {
  assert.deepEqual(buildServerOptions(reader({ offline: false }), ctx).options, { offline: false });
});

test('bad values are dropped with a reason, the rest is kept', () => {
  const { options, problems } = buildServerOptions(
    reader({ environments: ['dev', '', 3, 'dev', 'prod'], mirrors: { 'https://a/b.git': 7, 'https://c/d.git': '/d' }, offline: 'yes', rules: { 'a/b': 'loud', 'c/d': 'warning' } }),
    ctx,
  );
  assert.deepEqual(options, { environments: ['dev', 'prod'], mirrors: { 'https://c/d.git': '/d' }, rules: { 'c/d': 'warning' } });
  assert.equal(problems.length, 6, problems.join('\n'));
  assert.match(problems.join('\n'), /dev is listed twice/);
  assert.match(problems.join('\n'), /a\/b → "loud" is not one of error, warning, info, off/);
  assert.match(problems.join('\n'), /gitops.offline must be true or false/);
  const wrongTypes = buildServerOptions(reader({ environments: 'dev', mirrors: ['x'], rules: 'off' }), ctx);
  assert.deepEqual(wrongTypes.options, {});
  assert.equal(wrongTypes.problems.length, 3);
});

test('didChangeConfiguration carries the same options under "gitops"', () => {
  const { options } = buildServerOptions(reader({ offline: true }), ctx);
  assert.deepEqual(configurationChange(options), { settings: { gitops: { offline: true } } });
});

test('a new server path restarts; analysis settings are sent; trace and others need nothing', () => {
  const only = (...s: string[]) => (section: string) => s.some((x) => x === section || x.startsWith(section + '.') || section.startsWith(x + '.'));
  assert.equal(changeAction(only('gitops.server.path')), 'restart');
  for (const k of ['gitops.environments', 'gitops.mirrors', 'gitops.offline', 'gitops.rules']) {
    assert.equal(changeAction(only(k)), 'notify', k);
  }
  assert.equal(changeAction(only('gitops.trace.server')), 'none');
  assert.equal(changeAction(only('yaml.schemas')), 'none');
});
