// npm run package: type-checks, bundles the extension, builds the Linux amd64
// gitops-lsp from the repository root and packs gitops-<version>.vsix with
// @vscode/vsce, then checks that the archive holds what an install needs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { buildServer, cannotBuild, extensionDir } from './server.mjs';

const require = createRequire(import.meta.url);
process.chdir(extensionDir);

function run(what, args) {
  console.log(`> ${what}`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`package: ${what} failed`);
    process.exit(1);
  }
}

run('tsc -p .', [require.resolve('typescript/bin/tsc'), '-p', '.']);
run('bundle', ['scripts/bundle.mjs', '--production']);

const why = cannotBuild();
if (why) {
  console.error(`package: cannot build the server to bundle: ${why}`);
  process.exit(1);
}
const server = path.join('server', 'linux-x64', 'gitops-lsp');
try {
  buildServer(path.resolve(server), 'linux', 'amd64');
} catch (e) {
  console.error(`package: ${e.message}`);
  process.exit(1);
}
const { readBinaryKind, runsOn, describeTargets } = require('../out/src/binary.js');
const kind = readBinaryKind(fs.readFileSync(server).subarray(0, 4096));
if (!runsOn(kind, 'linux', 'x64')) {
  console.error(`package: ${server} is built for ${describeTargets(kind)}, not linux/x64`);
  process.exit(1);
}

const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const vsix = `${manifest.name}-${manifest.version}.vsix`;
// No LICENSE file in the repository yet, hence --skip-license.
run(`vsce package -o ${vsix}`, [require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '--skip-license', '-o', vsix]);

// The archive's central directory: names and Unix modes.
const zip = fs.readFileSync(vsix);
const entries = new Map();
let eocd = zip.length - 22;
while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) {
  eocd--;
}
let off = zip.readUInt32LE(eocd + 16);
for (let i = 0, n = zip.readUInt16LE(eocd + 10); i < n; i++) {
  const nameLen = zip.readUInt16LE(off + 28);
  const name = zip.toString('utf8', off + 46, off + 46 + nameLen);
  entries.set(name, zip.readUInt32LE(off + 38) >>> 16);
  off += 46 + nameLen + zip.readUInt16LE(off + 30) + zip.readUInt16LE(off + 32);
}
for (const need of ['extension/package.json', 'extension/dist/extension.js', 'extension/server/linux-x64/gitops-lsp']) {
  if (!entries.has(need)) {
    console.error(`package: ${vsix} lacks ${need}; it holds ${[...entries.keys()].join(', ')}`);
    process.exit(1);
  }
}
const size = (fs.statSync(vsix).size / 1024 / 1024).toFixed(1);
console.log(`${vsix}: ${entries.size} files, ${size} MiB; install with: code --install-extension ${path.join('editors', 'vscode', vsix)}`);
