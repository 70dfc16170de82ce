// Runs the tests of out/test (compiled by tsc) with Node's test runner and
// ends with one summary line. Before that, when this checkout has the
// server's source and Go is installed, it builds gitops-lsp for this machine
// into server/<platform>-<arch>/ (where the extension looks for a bundled
// server) so that the integration test drives the current code. Set
// GITOPS_LSP_PATH to test another binary instead.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildServer, cannotBuild, extensionDir, goTarget } from './server.mjs';

if (!process.env.GITOPS_LSP_PATH) {
  const why = cannotBuild();
  if (why) {
    console.log(`not building gitops-lsp: ${why}`);
  } else {
    const { goos, goarch } = goTarget(process.platform, process.arch);
    const name = process.platform === 'win32' ? 'gitops-lsp.exe' : 'gitops-lsp';
    try {
      buildServer(path.join(extensionDir, 'server', `${process.platform}-${process.arch}`, name), goos, goarch);
    } catch (e) {
      console.error(`FAIL: ${e.message}`);
      process.exit(1);
    }
  }
}

const testDir = path.join(extensionDir, 'out', 'test');
const files = fs
  .readdirSync(testDir)
  .filter((f) => f.endsWith('.test.js'))
  .sort()
  .map((f) => path.join(testDir, f));

const counts = {};
const skipped = [];
const stream = run({ files, concurrency: 1 });
stream.on('test:diagnostic', (d) => {
  const m = /^(\w+) ([\d.]+)$/.exec(d.message);
  if (m && d.nesting === 0) {
    counts[m[1]] = Number(m[2]);
  }
});
stream.on('test:pass', (d) => {
  if (d.skip) {
    skipped.push(`${d.name}: ${typeof d.skip === 'string' ? d.skip : 'skipped'}`);
  }
});
const out = stream.compose(spec);
out.pipe(process.stdout, { end: false });
out.on('end', () => {
  const failed = (counts.fail ?? 0) + (counts.cancelled ?? 0);
  for (const s of skipped) {
    console.log(`skipped: ${s}`);
  }
  console.log(
    `${failed === 0 && counts.tests > 0 ? 'PASS' : 'FAIL'}: ${counts.tests ?? 0} tests, ${counts.pass ?? 0} passed, ${counts.fail ?? 0} failed, ` +
      `${skipped.length} skipped${counts.cancelled ? `, ${counts.cancelled} cancelled` : ''} (${files.length} files)`,
  );
  process.exitCode = failed === 0 && counts.tests > 0 ? 0 : 1;
});
