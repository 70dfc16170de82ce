// Bundles the extension into dist/extension.js (vscode is provided by the editor).
// Usage: node scripts/bundle.mjs [--production]
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
await esbuild.build({
  entryPoints: ['src/extension.ts'],
  outfile: 'dist/extension.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18', // the Node.js of VS Code 1.82, the oldest version the extension supports
  external: ['vscode'],
  minify: production,
  keepNames: true,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
});
console.log(`bundled dist/extension.js${production ? ' (production)' : ''}`);
