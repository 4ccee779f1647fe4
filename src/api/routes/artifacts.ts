import { Readable } from 'node:stream';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  ArtifactNotFoundError,
  ArtifactTooLargeError,
  defaultContentType,
  isMediaType,
  type ArtifactMeta,
  type ArtifactStore,
} from '../../artifacts/store.js';
import { secured } from '../../auth/openapi.js';
import { tenantOf } from '../../auth/principal.js';
import { ProblemError } from '../problem.js';
import { ProblemType } from '../../contract/problem-types.js';
import { parseRange } from '../range.js';
import { artifactResource, type ArtifactResource } from '../../contract/resources.js';
import { problemContent } from '../openapi.js';
import { validationHook } from '../validation.js';

export interface ArtifactRoutesOptions {
  store: ArtifactStore;
  /** The largest upload accepted. */
  maxBytes: number;
  /** Base for absolute URLs; undefined → the request's own origin. */
  publicBaseUrl: string | undefined;
}

const artifactIdParams = z.object({
  // Not constrained here: a malformed id is a 404 like an unknown one, not a validation error.
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: '3f8c2a7d9b1e4c6a8f0d2b4e6a8c0e1f' }),
});

const binary = { schema: z.string().openapi({ type: 'string', format: 'binary' }) };
const notFound = { description: 'No such artifact.', content: problemContent };

const uploadRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Upload an artifact',
  description:
    'Stores the request body as is, whatever its type, streamed (never held in memory). The `Content-Type` ' +
    'is kept and served back. The answer names the artifact by an unguessable id.',
  // Binary media types only: zod-openapi adds no body validator for them, so the body stays a stream.
  request: { body: { required: true, content: { 'application/octet-stream': binary, '*/*': binary } } },
  responses: {
    201: {
      description: 'Stored.',
      headers: {
        Location: { description: 'Absolute URL of the artifact.', schema: { type: 'string', format: 'uri' } },
      },
      content: { 'application/json': { schema: artifactResource } },
    },
    400: { description: 'The Content-Type is not a media type.', content: problemContent },
    413: { description: 'Larger than the limit; nothing was kept.', content: problemContent },
  },
});

const artifactHeaders = {
  ETag: { description: 'The SHA-256 of the content, quoted.', schema: { type: 'string' as const } },
  'Accept-Ranges': { description: '`bytes`.', schema: { type: 'string' as const } },
  'Content-Length': { description: 'Bytes in this response.', schema: { type: 'integer' as const } },
};

const getResponses = {
  200: { description: 'The whole content.', headers: artifactHeaders, content: { '*/*': binary } },
  206: {
    description: 'The byte range asked for (`Range: bytes=a-b`, `bytes=a-` or `bytes=-n`).',
    headers: {
      ...artifactHeaders,
      'Content-Range': { description: '`bytes a-b/size`.', schema: { type: 'string' as const } },
    },
    content: { '*/*': binary },
  },
  304: { description: 'Unchanged (`If-None-Match`).' },
  404: notFound,
  416: { description: 'The range is outside the content.', content: problemContent },
};

const downloadRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'Download an artifact',
  description: 'Streams the content back, whole or one byte range. `HEAD` answers the same headers only.',
  request: { params: artifactIdParams },
  responses: getResponses,
});

// HEAD is served by the GET route (Hono routes it there, with its middleware); documented apart.
const headRoute = createRoute({
  method: 'head',
  path: '/{id}',
  summary: "An artifact's headers",
  description: 'The headers `GET` would answer (size, type, ETag, range), without the content.',
  request: { params: artifactIdParams },
  responses: {
    200: { description: 'The artifact exists.', headers: artifactHeaders },
    206: { description: 'The range is satisfiable.', headers: artifactHeaders },
    404: { description: 'No such artifact.' },
    416: { description: 'The range is outside the content.' },
  },
});

export function artifactRoutes({ store, maxBytes, publicBaseUrl }: ArtifactRoutesOptions) {
  const base = publicBaseUrl?.replace(/\/?$/, '/');
  const artifactUrl = (c: Context, id: string): string =>
    new URL(`artifacts/${encodeURIComponent(id)}`, base ?? new URL('/', c.req.url)).toString();

  const tooLarge = () =>
    new ProblemError({
      type: ProblemType.PayloadTooLarge,
      title: 'Artifact too large',
      status: 413,
      detail: `Artifacts are limited to ${maxBytes} bytes.`,
    });

  const notFoundProblem = (id: string) =>
    new ProblemError({
      type: ProblemType.NotFound,
      title: 'Artifact not found',
      status: 404,
      detail: `No artifact has id "${id}".`,
    });

  const app = new OpenAPIHono({ defaultHook: validationHook })
    .openapi(secured(uploadRoute, { scope: 'artifacts:write' }), async (c) => {
      // Refuse a declared oversize at once, before reading anything; a chunked body is counted as it streams.
      const declared = c.req.header('content-length');
      if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge();
      const contentType = c.req.header('content-type')?.trim() || defaultContentType;
      if (!isMediaType(contentType)) {
        throw new ProblemError({
          type: ProblemType.ValidationFailed,
          title: 'Invalid request',
          status: 400,
          detail: 'The Content-Type header is not a media type.',
          errors: [{ header: 'content-type', detail: 'Not a media type.' }],
        });
      }
      let meta: ArtifactMeta;
      try {
        meta = await store.create(c.req.raw.body ?? [], { contentType, maxBytes, tenant: tenantOf(c) });
      } catch (err) {
        if (err instanceof ArtifactTooLargeError) throw tooLarge();
        throw err;
      }
      return c.json(toResource(meta), 201, { Location: artifactUrl(c, meta.id), ETag: etagOf(meta) });
    })
    .openapi(secured(downloadRoute, { scope: 'artifacts:read' }), async (c) => {
      const { id } = c.req.valid('param');
      const meta = await store.stat(id);
      // Another tenant's artifact is as absent as an unknown one.
      if (!meta || meta.tenant !== tenantOf(c)) throw notFoundProblem(id);
      const etag = etagOf(meta);
      const headers: Record<string, string> = {
        ETag: etag,
        'Accept-Ranges': 'bytes',
        'Cache-Control': 'private, no-cache',
      };
      if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);

      const ifRange = c.req.header('if-range');
      const range =
        ifRange === undefined || ifRange === etag ? parseRange(c.req.header('range'), meta.size) : undefined;
      if (range === 'unsatisfiable') {
        throw new ProblemError(
          {
            type: ProblemType.RangeNotSatisfiable,
            title: 'Range not satisfiable',
            status: 416,
            detail: `The artifact has ${meta.size} bytes.`,
          },
          { 'Content-Range': `bytes */${meta.size}`, 'Accept-Ranges': 'bytes' },
        );
      }
      const { start, end } = range ?? { start: 0, end: meta.size - 1 };
      const status = range ? 206 : 200;
      Object.assign(headers, {
        'Content-Type': meta.contentType,
        'Content-Length': String(end - start + 1),
        // Uploaded content is served from the API's origin: never let a browser run it.
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; sandbox",
      });
      if (range) headers['Content-Range'] = `bytes ${start}-${end}/${meta.size}`;
      // HEAD reaches this GET handler too: answer the headers without opening the content.
      if (c.req.method === 'HEAD') return c.body(null, status, headers);
      let content: Readable;
      try {
        content = await store.openRead(id, { start, end });
      } catch (err) {
        if (err instanceof ArtifactNotFoundError) throw notFoundProblem(id);
        throw err;
      }
      return c.body(Readable.toWeb(content) as ReadableStream<Uint8Array>, status, headers);
    });

  const { middleware: _served, ...head } = secured(headRoute, { scope: 'artifacts:read' });
  app.openAPIRegistry.registerPath(head);
  return app;
}

function toResource(meta: ArtifactMeta): ArtifactResource {
  return { id: meta.id, size: meta.size, sha256: meta.sha256, contentType: meta.contentType };
}

function etagOf(meta: ArtifactMeta): string {
  return `"${meta.sha256}"`;
}

/** `If-None-Match`: `*` or a list of (possibly weak) entity tags. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}
