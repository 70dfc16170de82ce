import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CrashPolicy } from '../src/crash';
import { parseStatus, statusView } from '../src/status';

test('crashes restart with a growing delay, then stop with a clear message', () => {
  const p = new CrashPolicy({ maxCrashes: 4, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 3000 });
  assert.deepEqual(p.onCrash(0), { action: 'restart', crashes: 1, delayMs: 1000 });
  assert.deepEqual(p.onCrash(1000), { action: 'restart', crashes: 2, delayMs: 2000 });
  assert.deepEqual(p.onCrash(2000), { action: 'restart', crashes: 3, delayMs: 3000 });
  const d = p.onCrash(3000);
  assert.equal(d.action, 'give-up');
  assert.match(d.action === 'give-up' ? d.message : '', /crashed 4 times in 1 minute and will not be restarted automatically.*GitOps: Restart Server/);
  p.reset();
  assert.equal(p.onCrash(4000).action, 'restart');
});

test('crashes far apart never give up', () => {
  const p = new CrashPolicy({ maxCrashes: 3, windowMs: 60_000, baseDelayMs: 1000, maxDelayMs: 30_000 });
  for (let i = 0; i < 10; i++) {
    const d = p.onCrash(i * 61_000);
    assert.deepEqual(d, { action: 'restart', crashes: 1, delayMs: 1000 });
  }
});

test('gitops/status notifications are checked', () => {
  assert.deepEqual(parseStatus({ state: 'ready', errors: 3, warnings: 1, message: 'x' }), { state: 'ready', errors: 3, warnings: 1, message: 'x' });
  assert.deepEqual(parseStatus({ state: 'ready', errors: -1, warnings: 'a' }), { state: 'ready', errors: 0, warnings: 0, message: undefined });
  assert.equal(parseStatus({ state: 'bogus' }), undefined);
  assert.equal(parseStatus(null), undefined);
});

test('the status bar shows progress, counts, and a stopped server', () => {
  const ready = (errors: number, warnings: number) => ({ state: 'ready' as const, errors, warnings });
  assert.equal(statusView('running', { title: 'gitops: analysing', percentage: 42.4 }, ready(1, 0)).text, '$(sync~spin) GitOps 42%');
  assert.equal(statusView('running', { title: 'gitops: analysing', message: '12/54 files' }, undefined).tooltip, 'gitops: analysing: 12/54 files');
  assert.equal(statusView('running', undefined, { state: 'indexing', errors: 0, warnings: 0 }).text, '$(sync~spin) GitOps');
  const err = statusView('running', undefined, ready(6, 1));
  assert.equal(err.text, '$(error) GitOps 6');
  assert.equal(err.level, 'error');
  assert.match(err.tooltip, /6 errors, 1 warning/);
  assert.equal(err.command, 'workbench.actions.view.problems');
  assert.equal(statusView('running', undefined, ready(0, 2)).text, '$(warning) GitOps 2');
  assert.equal(statusView('running', undefined, ready(0, 0)).text, '$(check) GitOps');
  assert.match(statusView('running', undefined, { state: 'error', errors: 0, warnings: 0, message: 'bad config' }).tooltip, /analysis failed: bad config/);
  const failed = statusView('failed', undefined, undefined, 'crashed 5 times');
  assert.equal(failed.command, 'gitops.restart');
  assert.match(failed.tooltip, /crashed 5 times/);
  assert.equal(statusView('stopped', undefined, undefined).text, '$(circle-slash) GitOps: stopped');
  assert.equal(statusView('no-server', undefined, undefined).command, 'gitops.showOutput');
});
