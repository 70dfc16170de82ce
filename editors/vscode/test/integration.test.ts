// Drives the real gitops-lsp over stdio through the protocol layer the
// extension's language client uses (vscode-languageserver-protocol), started
// and configured as the extension does it: the same discovery, launch command
// and initializationOptions builder, on a copy of testdata/demo whose base is
// read from the committed mirror testdata/gitops-base.git.
//
// Skips when no server binary is available (npm test builds one when this
// checkout has ./cmd/gitops-lsp and Go is installed; GITOPS_LSP_PATH picks
// another binary).
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ApplyWorkspaceEditParams,
  CodeAction,
  CodeActionRequest,
  CodeActionResolveRequest,
  ConfigurationRequest,
  createProtocolConnection,
  Diagnostic,
  DidChangeConfigurationNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  InitializeRequest,
  InitializeResult,
  InitializedNotification,
  LogMessageNotification,
  ProtocolConnection,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  ApplyWorkspaceEditRequest,
  ClientCapabilities,
} from 'vscode-languageserver-protocol/node';
import { diskProbe, findServer } from '../src/discovery';
import { buildServerOptions, configurationChange, ServerOptions } from '../src/settings';
import { SERVER_COMMANDS, serverCommand } from '../src/clientconfig';
import { parseEditResult, parseServiceList, parseSources, pinArguments, promoteArguments, promotionSteps } from '../src/commands';
import { parseMatrix, renderMatrixHtml } from '../src/matrix';
import { parseStatus, StatusNotification } from '../src/status';

const extensionDir = path.resolve(__dirname, '..', '..');
const repoRoot = path.resolve(extensionDir, '..', '..');
const BASE_URL = 'ssh://git@github.com/opencenter-cloud/openCenter-gitops-base.git';
/** A guard against a hung server, not a speed requirement. */
const WAIT_MS = 120_000;

const found = findServer(
  {
    setting: process.env.GITOPS_LSP_PATH ?? '',
    extensionPath: extensionDir,
    platform: process.platform,
    arch: process.arch,
    envPath: process.env.PATH ?? '',
    home: os.homedir(),
    workspaceFolder: extensionDir,
  },
  diskProbe,
);
const demoSource = path.join(repoRoot, 'testdata', 'demo');
const skip = !found.ok
  ? found.reason === 'not-found'
    ? `no gitops-lsp binary to drive: build it from the repository root with ` +
      `"go build -o editors/vscode/server/${process.platform}-${process.arch}/gitops-lsp ./cmd/gitops-lsp" (npm test does when Go is installed), or set GITOPS_LSP_PATH`
    : `gitops-lsp cannot be used: ${found.message}`
  : !fs.existsSync(demoSource)
    ? `${demoSource} is missing`
    : false;

// What vscode-languageclient 9 announces that matters to this server.
const capabilities: ClientCapabilities = {
  workspace: {
    applyEdit: true,
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'], failureHandling: 'textOnlyTransactional' },
    executeCommand: { dynamicRegistration: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, didSave: true, willSave: true, willSaveWaitUntil: true },
    publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true, versionSupport: false, tagSupport: { valueSet: [1, 2] } },
    codeAction: {
      dynamicRegistration: true,
      isPreferredSupport: true,
      disabledSupport: true,
      dataSupport: true,
      resolveSupport: { properties: ['edit'] },
      codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'refactor.extract', 'refactor.inline', 'refactor.rewrite', 'source', 'source.organizeImports'] } },
      honorsChangeAnnotations: false,
    },
  },
  window: { workDoneProgress: true, showMessage: {}, showDocument: { support: true } },
};

function copyTree(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    if (e.isDirectory()) {
      copyTree(s, d);
    } else if (e.isFile()) {
      fs.copyFileSync(s, d);
    }
  }
}

describe('gitops-lsp through the extension protocol layer', { skip, timeout: 10 * WAIT_MS }, () => {
  let tmp: string;
  let folder: string;
  let proc: cp.ChildProcess;
  let conn: ProtocolConnection;
  let init: InitializeResult;
  let settings: Record<string, unknown>;
  let options: ServerOptions;
  const diagnostics = new Map<string, Diagnostic[]>();
  const statuses: StatusNotification[] = [];
  const progress: string[] = [];
  const applied: ApplyWorkspaceEditParams[] = [];
  const log: string[] = [];
  let exitCode: number | null | undefined;
  let waiters: (() => void)[] = [];
  const poke = () => {
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  };

  /** Resolves once `cond` holds after some message arrived; fails with the server's log. */
  async function waitFor<T>(what: string, cond: () => T | undefined | false): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const v = cond();
      if (v) {
        return v;
      }
      if (exitCode !== undefined) {
        assert.fail(`gitops-lsp exited (${exitCode}) while waiting for ${what}; its log:\n${log.slice(-30).join('\n')}`);
      }
      if (Date.now() > deadline) {
        assert.fail(`no ${what} from gitops-lsp; its log:\n${log.slice(-30).join('\n')}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  const uri = (rel: string) => pathToFileURL(path.join(folder, rel)).toString();

  function open(rel: string): string {
    const u = uri(rel);
    void conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: u, languageId: 'yaml', version: 1, text: fs.readFileSync(path.join(folder, rel), 'utf8') },
    });
    return u;
  }

  function rule(d: Diagnostic): string {
    return typeof d.code === 'string' ? d.code : String(d.code);
  }

  before(async () => {
    assert.ok(found.ok);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-vscode-'));
    folder = path.join(tmp, 'demo');
    copyTree(demoSource, folder);
    // As a user would configure the workspace: the base from the committed mirror, no network.
    settings = { mirrors: { [BASE_URL]: path.join(repoRoot, 'testdata', 'gitops-base.git') }, offline: true };
    const mapped = buildServerOptions((k) => settings[k], { workspaceFolder: folder, home: os.homedir() });
    assert.deepEqual(mapped.problems, []);
    options = mapped.options;

    const launch = serverCommand(found.path, folder);
    proc = cp.spawn(launch.command, launch.args, {
      cwd: launch.options.cwd,
      env: { ...process.env, XDG_CACHE_HOME: path.join(tmp, 'cache'), HOME: tmp },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    proc.stderr!.on('data', (b: Buffer) => log.push(...b.toString('utf8').trimEnd().split('\n').map((l) => `stderr: ${l}`)));
    proc.on('exit', (code) => {
      exitCode = code;
      poke();
    });
    conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      diagnostics.set(p.uri, p.diagnostics);
      poke();
    });
    conn.onNotification('gitops/status', (p: unknown) => {
      const s = parseStatus(p);
      assert.ok(s, `gitops/status ${JSON.stringify(p)} does not follow the contract`);
      statuses.push(s);
      poke();
    });
    conn.onNotification(LogMessageNotification.type, (p) => log.push(p.message));
    conn.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      conn.onProgress(WorkDoneProgress.type, token, (v) => {
        progress.push(v.kind === 'begin' ? `begin ${v.title}` : v.kind);
        poke();
      });
      return null;
    });
    conn.onRequest(ConfigurationRequest.type, (p) => p.items.map((i) => (i.section === 'gitops' ? options : null)));
    conn.onRequest(RegistrationRequest.type, () => null);
    conn.onRequest(ApplyWorkspaceEditRequest.type, (p) => {
      applied.push(p);
      poke();
      return { applied: true };
    });
    conn.listen();

    init = await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      clientInfo: { name: 'Visual Studio Code', version: '1.82.0' },
      rootUri: pathToFileURL(folder).toString(),
      rootPath: folder,
      workspaceFolders: [{ uri: pathToFileURL(folder).toString(), name: 'demo' }],
      capabilities,
      initializationOptions: options,
      trace: 'off',
    });
    await conn.sendNotification(InitializedNotification.type, {});
  });

  after(async () => {
    if (conn && exitCode === undefined) {
      try {
        await conn.sendRequest(ShutdownRequest.type);
        await conn.sendNotification(ExitNotification.type);
        await waitFor('exit after shutdown', () => exitCode !== undefined);
      } finally {
        if (exitCode === undefined) {
          proc.kill();
        }
      }
    }
    conn?.dispose();
    if (tmp) {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('advertises the commands and code actions of the contract', () => {
    const cmds = init.capabilities.executeCommandProvider?.commands ?? [];
    for (const c of SERVER_COMMANDS) {
      assert.ok(cmds.includes(c), `executeCommandProvider.commands ${JSON.stringify(cmds)} lacks ${c}`);
    }
    assert.ok(init.capabilities.codeActionProvider, 'no codeActionProvider');
  });

  it('publishes diagnostics with source gitops, the rule and its documentation', async () => {
    const rel = 'applications/overlays/staging-cluster/services/fluxcd/kube-prometheus-stack.yaml';
    const u = open(rel);
    const diags = await waitFor(`flux/path-not-found on ${rel}`, () => {
      const d = diagnostics.get(u);
      return d?.some((x) => rule(x) === 'flux/path-not-found') && d;
    });
    const d = diags.find((x) => rule(x) === 'flux/path-not-found')!;
    assert.equal(d.source, 'gitops');
    assert.equal(d.severity, 1);
    assert.equal(d.range.start.line, 12, JSON.stringify(d.range)); // 13:9 in the CLI's 1-based report
    assert.equal(d.range.start.character, 8);
    assert.match(d.message, /does not exist in opencenter-kube-prometheus-stack@2026.01/);
    assert.match(d.codeDescription?.href ?? '', /^https:\/\/github\.com\/opencenter-cloud\/gitops-hook\/blob\/main\/docs\/rules\.md#/);
    assert.equal((d.data as { rule?: string })?.rule, 'flux/path-not-found');
    // Every diagnostic of the server says it is ours, beside Red Hat YAML's.
    for (const list of diagnostics.values()) {
      for (const x of list) {
        assert.equal(x.source, 'gitops', JSON.stringify(x));
      }
    }

    const quick = (await conn.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: u },
      range: d.range,
      context: { diagnostics: [d], triggerKind: 1 },
    })) as CodeAction[] | null;
    const fix = quick?.find((a) => a.kind === 'quickfix' && /applications\/base\/services\/kube-prometheus-stack/.test(a.title));
    assert.ok(fix, `no quick fix among ${JSON.stringify(quick?.map((a) => a.title))}`);
  });

  it('reports the analysis in gitops/status', async () => {
    const s = await waitFor('gitops/status ready', () => statuses.find((x) => x.state === 'ready'));
    // The demo has six errors (README, gitops-hook check testdata/demo).
    assert.equal(s.errors, 6, JSON.stringify(s));
  });

  it('offers "Promote cert-manager to staging-cluster" on the service overlay and resolves it to an edit', async () => {
    const rel = 'applications/overlays/dev-cluster/services/cert-manager/kustomization.yaml';
    const u = open(rel);
    // Like the editor, ask again as long as the analysis of the opened
    // buffer is not done (a server answers nothing for a stale buffer).
    let actions: CodeAction[] | null = null;
    let promote: CodeAction | undefined;
    const deadline = Date.now() + WAIT_MS;
    while (!promote && Date.now() < deadline && exitCode === undefined) {
      actions = (await conn.sendRequest(CodeActionRequest.type, {
        textDocument: { uri: u },
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        context: { diagnostics: diagnostics.get(u) ?? [], triggerKind: 1 },
      })) as CodeAction[] | null;
      promote = actions?.find((a) => a.title === 'Promote cert-manager to staging-cluster');
      if (!promote) {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    assert.ok(promote, `no promote action among ${JSON.stringify(actions?.map((a) => a.title))}`);
    assert.equal(promote.kind, 'refactor.rewrite');
    assert.equal(promote.disabled, undefined, `the promote action is disabled: ${promote.disabled?.reason}`);
    const provider = init.capabilities.codeActionProvider;
    if (typeof provider === 'object' && provider.resolveProvider) {
      promote = await conn.sendRequest(CodeActionResolveRequest.type, promote);
    }
    const changes = promote.edit?.documentChanges ?? [];
    assert.ok(changes.length > 0, `the promote action carries no documentChanges: ${JSON.stringify(promote)}`);
    const targets = changes.map((c) => ('textDocument' in c ? c.textDocument.uri : 'uri' in c ? c.uri : ''));
    assert.ok(
      targets.some((t) => t.includes('/applications/overlays/staging-cluster/services/cert-manager/')),
      `no change to staging-cluster's cert-manager: ${targets.join(', ')}`,
    );
    assert.ok(targets.every((t) => t.startsWith(pathToFileURL(folder).toString())), targets.join(', '));
  });

  it('answers gitops.services, gitops.sources and gitops.matrix as the pickers and the webview read them', async () => {
    const list = parseServiceList(await conn.sendRequest(ExecuteCommandRequest.type, { command: 'gitops.services', arguments: [] }));
    assert.deepEqual(list.environments, ['dev-cluster', 'staging-cluster', 'prod-cluster']);
    for (const s of ['cert-manager', 'gateway-api', 'kube-prometheus-stack']) {
      assert.ok(list.services.includes(s), `${s} not in ${list.services.join(', ')}`);
    }

    const sources = parseSources(await conn.sendRequest(ExecuteCommandRequest.type, { command: 'gitops.sources', arguments: [] }));
    const cm = sources.find((s) => s.name === 'opencenter-cert-manager' && s.cluster === 'prod-cluster');
    assert.ok(cm, JSON.stringify(sources));
    assert.equal(cm.tag, '2026.01');
    assert.deepEqual(pinArguments(cm), [{ source: 'opencenter-cert-manager', cluster: 'prod-cluster', to: 'previous' }]);

    const matrix = parseMatrix(await conn.sendRequest(ExecuteCommandRequest.type, { command: 'gitops.matrix', arguments: [] }));
    assert.deepEqual(matrix.environments, list.environments);
    const html = renderMatrixHtml(matrix, { cspSource: 'vscode-webview:', title: 'demo' });
    const row = html.split('<tr>').find((r) => r.includes('<th scope="row">cert-manager</th>'));
    assert.ok(row, html);
    // cert-manager: two files differ between dev-cluster and staging-cluster.
    assert.match(row, /<td class="first"[^>]*>[^<]+.*<td class="differs"/);
  });

  it('applies new settings sent by didChangeConfiguration, without a restart', async () => {
    const u = uri('applications/overlays/staging-cluster/services/fluxcd/kube-prometheus-stack.yaml');
    settings = { ...settings, rules: { 'flux/path-not-found': 'off' } };
    options = buildServerOptions((k) => settings[k], { workspaceFolder: folder, home: os.homedir() }).options;
    await conn.sendNotification(DidChangeConfigurationNotification.type, configurationChange(options));
    await waitFor('diagnostics without flux/path-not-found after turning the rule off', () => {
      const d = diagnostics.get(u);
      return d && !d.some((x) => rule(x) === 'flux/path-not-found');
    });
  });

  it('promotes through gitops.promote with the arguments the command builds', async () => {
    const list = parseServiceList(await conn.sendRequest(ExecuteCommandRequest.type, { command: 'gitops.services', arguments: [] }));
    const step = promotionSteps(list.environments, 'dev-cluster')[0];
    const before = applied.length;
    const result = parseEditResult(
      await conn.sendRequest(ExecuteCommandRequest.type, { command: 'gitops.promote', arguments: promoteArguments('cert-manager', step) }),
    );
    assert.equal(applied.length, before + 1, 'gitops.promote sent no workspace/applyEdit');
    assert.equal(result.applied, true);
    assert.ok(result.files.some((f) => f.includes('staging-cluster')), JSON.stringify(result));
  });
});
