import { ArtifactNotFoundError, type ArtifactStore } from '../../src/artifacts/store.js';

/** For API tests that start no kind over artifacts: a store that holds none is all they need. */
export const noArtifacts: ArtifactStore = {
  create: () => Promise.reject(new Error('no artifacts here')),
  stat: () => Promise.resolve(undefined),
  openRead: (id) => Promise.reject(new ArtifactNotFoundError(id)),
  openWriter: () => Promise.reject(new Error('no artifacts here')),
  remove: () => Promise.resolve(),
};
