// The arguments of the server's workspace/executeCommand commands and the
// choices offered in the pickers, kept apart from the VS Code UI so they are
// tested against the protocol contract.

export interface ServiceList {
  environments: string[];
  services: string[];
}

export interface Source {
  name: string;
  cluster: string;
  tag: string;
  url: string;
}

export interface PromoteArgs {
  service: string;
  from: string;
  to: string;
  force: boolean;
}

export interface PinArgs {
  source: string;
  cluster: string;
  to: 'previous' | 'next' | string;
}

export interface EditResult {
  applied: boolean;
  files: string[];
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/** Checks the result of gitops.services; the server is another program, so its answer is not trusted blindly. */
export function parseServiceList(v: unknown): ServiceList {
  const o = v as Partial<Record<keyof ServiceList, unknown>> | null;
  const environments = o && strings(o.environments);
  const services = o && strings(o.services);
  if (!environments || !services) {
    throw new Error(`gitops.services returned ${JSON.stringify(v)?.slice(0, 200)}, not {environments: [...], services: [...]}`);
  }
  return { environments, services };
}

/** Checks the result of gitops.sources. */
export function parseSources(v: unknown): Source[] {
  if (!Array.isArray(v)) {
    throw new Error(`gitops.sources returned ${JSON.stringify(v)?.slice(0, 200)}, not a list of sources`);
  }
  return v
    .filter((s) => s && typeof s.name === 'string' && typeof s.cluster === 'string')
    .map((s) => ({ name: s.name, cluster: s.cluster, tag: typeof s.tag === 'string' ? s.tag : '', url: typeof s.url === 'string' ? s.url : '' }));
}

/** Checks the result of gitops.promote / gitops.pin. */
export function parseEditResult(v: unknown): EditResult {
  const o = v as { applied?: unknown; files?: unknown } | null;
  return { applied: o?.applied === true, files: strings(o?.files) ?? [] };
}

/**
 * Where a repository-relative path sits in the openCenter layout:
 * applications/overlays/ENV/services/SERVICE/... (the service folder) or
 * applications/overlays/ENV/services/fluxcd/SERVICE.yaml (its Flux Kustomization).
 */
export function overlayLocation(relPath: string): { env?: string; service?: string } {
  const parts = relPath.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  for (let i = 0; i + 2 < parts.length; i++) {
    if (parts[i] !== 'applications' || parts[i + 1] !== 'overlays') {
      continue;
    }
    const env = parts[i + 2];
    if (parts[i + 3] !== 'services' || parts.length <= i + 4) {
      return { env };
    }
    const rest = parts.slice(i + 4);
    if (rest[0] === 'fluxcd' && rest.length === 2 && /\.ya?ml$/.test(rest[1]) && rest[1] !== 'kustomization.yaml') {
      return { env, service: rest[1].replace(/\.ya?ml$/, '') };
    }
    if (rest.length >= 2 && rest[0] !== 'fluxcd' && rest[0] !== 'sources') {
      return { env, service: rest[0] };
    }
    return { env };
  }
  return {};
}

/** A promotion step: from the environment before `to` in the promotion order. */
export interface PromotionStep {
  from: string;
  to: string;
}

/**
 * The promotions the order allows, the step out of `currentEnv` first (the
 * environment of the file being edited is the usual source).
 */
export function promotionSteps(environments: string[], currentEnv?: string): PromotionStep[] {
  const steps: PromotionStep[] = [];
  for (let i = 1; i < environments.length; i++) {
    steps.push({ from: environments[i - 1], to: environments[i] });
  }
  const k = steps.findIndex((s) => s.from === currentEnv);
  if (k > 0) {
    steps.unshift(...steps.splice(k, 1));
  }
  return steps;
}

/** Services with the one being edited first. */
export function orderServices(services: string[], current?: string): string[] {
  const rest = services.filter((s) => s !== current);
  return current && services.includes(current) ? [current, ...rest] : rest;
}

export function promoteArguments(service: string, step: PromotionStep, force = false): [PromoteArgs] {
  if (!service || !step.from || !step.to || step.from === step.to) {
    throw new Error(`cannot promote "${service}" from "${step.from}" to "${step.to}"`);
  }
  return [{ service, from: step.from, to: step.to, force }];
}

/** Sources of the environment being edited first, then by cluster and name. */
export function orderSources(sources: Source[], currentEnv?: string): Source[] {
  return [...sources].sort(
    (a, b) =>
      Number(b.cluster === currentEnv) - Number(a.cluster === currentEnv) ||
      a.cluster.localeCompare(b.cluster) ||
      a.name.localeCompare(b.name),
  );
}

export function pinArguments(source: Source, to: PinArgs['to'] = 'previous'): [PinArgs] {
  return [{ source: source.name, cluster: source.cluster, to }];
}

/** "Promoted cert-manager to staging-cluster: 4 files changed." */
export function describeEdit(what: string, r: EditResult): string {
  if (!r.applied) {
    return `${what}: the change was not applied (the editor refused the edit or it was cancelled).`;
  }
  const n = r.files.length;
  return n === 0 ? `${what}: nothing to change.` : `${what}: ${n} file${n === 1 ? '' : 's'} changed.`;
}
