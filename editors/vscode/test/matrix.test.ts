import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cellState, escapeHtml, parseMatrix, renderMatrixHtml } from '../src/matrix';

const matrix = parseMatrix({
  environments: ['dev-cluster', 'staging-cluster', 'prod-cluster'],
  services: [
    {
      service: 'cert-manager',
      cells: [
        { env: 'dev-cluster', present: true, tag: '2026.02', differ: 0, same: true },
        { env: 'staging-cluster', present: true, tag: '2026.01', differ: 2, same: false },
        { env: 'prod-cluster', present: true, tag: '2026.01', differ: 0, same: true },
      ],
    },
    {
      service: '<script>alert(1)</script>',
      cells: [
        { env: 'dev-cluster', present: true, tag: '1', differ: 0, same: true },
        { env: 'staging-cluster', present: false, tag: '', differ: 0, same: false },
      ],
    },
  ],
});

function cells(html: string, row: string): string[] {
  const tr = html.split('<tr>').find((r) => r.includes(`<th scope="row">${row}</th>`));
  assert.ok(tr, `row ${row} in ${html}`);
  return [...tr.matchAll(/<td class="(\w+)"/g)].map((m) => m[1]);
}

test('each cell shows the tag; differences from the environment on the left are highlighted', () => {
  const html = renderMatrixHtml(matrix, { cspSource: 'vscode-resource:', title: 'demo' });
  assert.deepEqual(cells(html, 'cert-manager'), ['first', 'differs', 'same']);
  assert.match(html, /<td class="differs" title="cert-manager in staging-cluster: 2 files differ, tag 2026.02 in dev-cluster \(compared with dev-cluster\)">2026.01<span class="note">2 files differ, tag 2026.02 in dev-cluster<\/span><\/td>/);
  assert.match(html, /<th scope="col">dev-cluster<\/th><th scope="col">staging-cluster<\/th><th scope="col">prod-cluster<\/th>/);
  assert.match(html, /td\.differs[^{]*\{ background:/);
});

test('absent services show a dash; a service missing a cell counts as absent', () => {
  const html = renderMatrixHtml(matrix, { cspSource: 'x', title: 'demo' });
  assert.deepEqual(cells(html, '&lt;script&gt;alert(1)&lt;/script&gt;'), ['first', 'absent', 'absent']);
  assert.equal(cellState(matrix.services[1].cells, 2, matrix.environments), 'absent');
});

test('a tag change alone is a difference', () => {
  const row = [
    { env: 'a', present: true, tag: '1', differ: 0, same: true },
    { env: 'b', present: true, tag: '2', differ: 0, same: true },
  ];
  assert.equal(cellState(row, 1, ['a', 'b']), 'differs');
});

test('server text is escaped and no script can run', () => {
  const html = renderMatrixHtml(matrix, { cspSource: 'x', title: '"><img src=x onerror=alert(1)>' });
  assert.ok(!html.includes('<script>'));
  assert.ok(!html.includes('<img'));
  assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src x 'unsafe-inline';"/);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('malformed matrices are rejected or cleaned', () => {
  assert.throws(() => parseMatrix('nope'), /gitops.matrix returned "nope"/);
  assert.throws(() => parseMatrix({ environments: [] }), /not \{environments/);
  const m = parseMatrix({ environments: ['a', 1], services: [null, { service: 's', cells: [{ env: 'a', present: true, tag: 5, differ: 'x' }, 7] }] });
  assert.deepEqual(m, { environments: ['a'], services: [{ service: 's', cells: [{ env: 'a', present: true, tag: '', differ: 0, same: true }] }] });
  assert.match(renderMatrixHtml({ environments: ['a'], services: [] }, { cspSource: 'x', title: 't' }), /No service found/);
});
