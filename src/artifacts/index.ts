import { LocalArtifactStore } from './local-store.js';
import type { ArtifactStore } from './store.js';

export * from './store.js';

/**
 * The artifact store the configuration names: the one place that picks a driver, so that
 * another one (an object store) is added here without touching routes or runners.
 */
export function openArtifactStore(config: { ARTIFACTS_DIR: string }): Promise<ArtifactStore> {
  return LocalArtifactStore.open(config.ARTIFACTS_DIR);
}
