// How the extension launches and addresses gitops-lsp, shared with the
// integration test so that it drives the server exactly as the extension does.

/** The server is started without flags: its logs come back as window/logMessage. */
export function serverCommand(binary: string, folder: string): { command: string; args: string[]; options: { cwd: string } } {
  return { command: binary, args: [], options: { cwd: folder } };
}

/**
 * YAML files on disk inside one workspace folder: only file-scheme documents
 * (not diff views, git revisions or untitled buffers, which the server cannot
 * place in the repository), and only the folder this server analyses, so each
 * folder of a multi-root workspace gets its own server. Red Hat's YAML
 * extension keeps its own selector; both receive the same documents.
 */
export function documentSelector(folderPath: string): { scheme: string; language: string; pattern: string }[] {
  const base = folderPath.replace(/\\/g, '/').replace(/\/+$/, '');
  return [{ scheme: 'file', language: 'yaml', pattern: `${base}/**/*` }];
}

/** The executeCommand names of the contract, which the extension routes to the right folder's server. */
export const SERVER_COMMANDS = ['gitops.promote', 'gitops.pin', 'gitops.matrix', 'gitops.services', 'gitops.sources'] as const;

const fluxAPI = /^[ \t]*apiVersion:[ \t]*["']?(source|kustomize|helm|notification|image)\.toolkit\.fluxcd\.io\//m;

/** Whether a YAML text holds a Flux object (a GitRepository, a Flux Kustomization, a HelmRelease…). */
export function looksLikeFlux(text: string): boolean {
  return fluxAPI.test(text);
}

/** Paths (relative to a workspace folder) whose presence marks a GitOps repository without reading any file. */
export const MARKER_PATHS = ['applications/overlays', '.gitops.yaml'];
