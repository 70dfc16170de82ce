// The environment matrix (the `gitops-hook diff` table: service × environment
// × tag) as a self-contained HTML page for a webview. No script runs in it:
// the content security policy allows only the inline style below.

export interface MatrixCell {
  env: string;
  present: boolean;
  tag: string;
  /** Files that differ from the previous environment. */
  differ: number;
  /** The service is the same as in the previous environment. */
  same: boolean;
}

export interface Matrix {
  environments: string[];
  services: { service: string; cells: MatrixCell[] }[];
}

/** Checks the result of gitops.matrix, dropping what does not fit the contract. */
export function parseMatrix(v: unknown): Matrix {
  const o = v as { environments?: unknown; services?: unknown } | null;
  if (!o || !Array.isArray(o.environments) || !Array.isArray(o.services)) {
    throw new Error(`gitops.matrix returned ${JSON.stringify(v)?.slice(0, 200)}, not {environments: [...], services: [...]}`);
  }
  const environments = o.environments.filter((e): e is string => typeof e === 'string');
  const services = o.services
    .filter((s) => s && typeof s.service === 'string')
    .map((s) => ({
      service: s.service as string,
      cells: (Array.isArray(s.cells) ? s.cells : [])
        .filter((c: { env?: unknown }) => c && typeof c.env === 'string')
        .map((c: Record<string, unknown>) => ({
          env: c.env as string,
          present: c.present === true,
          tag: typeof c.tag === 'string' ? c.tag : '',
          differ: typeof c.differ === 'number' && Number.isFinite(c.differ) ? c.differ : 0,
          same: c.same !== false,
        })),
    }));
  return { environments, services };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** How a cell differs from the same service in the environment before it. */
export function cellState(row: MatrixCell[], i: number, environments: string[]): 'absent' | 'same' | 'differs' | 'first' {
  const cell = row.find((c) => c.env === environments[i]);
  if (!cell || !cell.present) {
    return 'absent';
  }
  if (i === 0) {
    return 'first';
  }
  const prev = row.find((c) => c.env === environments[i - 1]);
  if (prev?.present && (!cell.same || cell.differ > 0 || prev.tag !== cell.tag)) {
    return 'differs';
  }
  return 'same';
}

export interface RenderOptions {
  /** webview.cspSource */
  cspSource: string;
  /** Shown above the table, e.g. the workspace folder. */
  title: string;
}

export function renderMatrixHtml(m: Matrix, opts: RenderOptions): string {
  const head = m.environments.map((e) => `<th scope="col">${escapeHtml(e)}</th>`).join('');
  const rows = m.services.map((s) => {
    const cells = m.environments.map((env, i) => {
      const state = cellState(s.cells, i, m.environments);
      const cell = s.cells.find((c) => c.env === env);
      if (state === 'absent' || !cell) {
        return `<td class="absent" title="not deployed to ${escapeHtml(env)}">—</td>`;
      }
      const tag = cell.tag ? escapeHtml(cell.tag) : '<span class="none">no tag</span>';
      let note = '';
      let title = `${s.service} in ${env}`;
      if (state === 'differs') {
        const prev = m.environments[i - 1];
        const parts: string[] = [];
        if (cell.differ > 0) {
          parts.push(`${cell.differ} file${cell.differ === 1 ? '' : 's'} differ${cell.differ === 1 ? 's' : ''}`);
        }
        const prevCell = s.cells.find((c) => c.env === prev);
        if (prevCell && prevCell.tag !== cell.tag) {
          parts.push(`tag ${prevCell.tag || 'none'} in ${prev}`);
        }
        if (parts.length === 0) {
          parts.push('differs');
        }
        note = `<span class="note">${escapeHtml(parts.join(', '))}</span>`;
        title += `: ${parts.join(', ')} (compared with ${prev})`;
      } else if (state === 'same') {
        title += `: same as ${m.environments[i - 1]}`;
      }
      return `<td class="${state}" title="${escapeHtml(title)}">${tag}${note}</td>`;
    });
    return `<tr><th scope="row">${escapeHtml(s.service)}</th>${cells.join('')}</tr>`;
  });
  const body =
    m.services.length === 0
      ? '<p>No service found in any environment.</p>'
      : `<table><thead><tr><th scope="col">service</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="legend"><span class="differs">highlighted</span>: differs from the environment on its left;
— not deployed there. Promote with “GitOps: Promote Service…”.</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${escapeHtml(opts.cspSource)} 'unsafe-inline';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Environment matrix</title>
<style>
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--vscode-panel-border, #8884); padding: 4px 10px; text-align: left; vertical-align: top; }
thead th { background: var(--vscode-editorWidget-background, transparent); }
td.differs, span.differs { background: var(--vscode-diffEditor-insertedTextBackground, #e2b71444); }
td.absent { color: var(--vscode-disabledForeground, #888); text-align: center; }
.note { display: block; font-size: 90%; color: var(--vscode-descriptionForeground, #888); }
.none { font-style: italic; }
</style>
</head>
<body>
<h2>Environment matrix — ${escapeHtml(opts.title)}</h2>
${body}
</body>
</html>
`;
}
