/**
 * The Nexus endpoint through which workflows of other namespaces call longrun's kinds (service
 * `longrun`, see src/contract/nexus-service.ts), made with the Temporal CLI as an operator would:
 * `temporal operator nexus endpoint create --name longrun --target-namespace … --target-task-queue …`.
 * Idempotent: an endpoint that exists with another target is updated to this one.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The endpoint's name (caller workflows name it in `createNexusServiceClient`). */
export const nexusEndpointName = 'longrun';

/** The namespace the local stack and the tests call longrun from. */
export const callerNamespace = 'callers';

export interface NexusEndpointOptions {
  /** The Temporal CLI. */
  cli: string;
  /** The frontend, `host:port`. */
  address: string;
  /** Default {@link nexusEndpointName}. */
  name?: string;
  /** Where longrun's worker polls: its namespace and task queue. */
  namespace: string;
  taskQueue: string;
}

interface EndpointTarget {
  spec?: { target?: { worker?: { namespace?: string; taskQueue?: string } } };
}

/** Create the endpoint, or point it at `namespace`/`taskQueue`; says what it did. */
export async function ensureNexusEndpoint(options: NexusEndpointOptions): Promise<string> {
  const { cli, address, namespace, taskQueue } = options;
  const name = options.name ?? nexusEndpointName;
  const common = ['--address', address, '--name', name];
  const target = ['--target-namespace', namespace, '--target-task-queue', taskQueue];
  const existing = await currentTarget(cli, common);
  const where = `${namespace}/${taskQueue}`;
  if (!existing) {
    await run(cli, ['operator', 'nexus', 'endpoint', 'create', ...common, ...target]);
    return `Nexus endpoint ${name} created (target ${where})`;
  }
  const worker = existing.spec?.target?.worker;
  if (worker?.namespace === namespace && worker.taskQueue === taskQueue) {
    return `Nexus endpoint ${name} exists (target ${where})`;
  }
  await run(cli, ['operator', 'nexus', 'endpoint', 'update', ...common, ...target]);
  return `Nexus endpoint ${name} updated (target ${where})`;
}

/** The endpoint as the server has it, or `undefined` when there is none. */
async function currentTarget(cli: string, common: string[]): Promise<EndpointTarget | undefined> {
  try {
    const { stdout } = await run(cli, ['operator', 'nexus', 'endpoint', 'get', ...common, '-o', 'json']);
    return JSON.parse(stdout) as EndpointTarget;
  } catch (err) {
    // The CLI exits 1 with "endpoint not found" on stderr; anything else is a real failure.
    if (/not found/i.test((err as { stderr?: string }).stderr ?? '')) return undefined;
    throw err;
  }
}
