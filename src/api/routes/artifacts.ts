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
import { notFoundProblem, ProblemError } from '../problem.js';
import { ProblemType } from '../../contract/problem-types.js';
import { parseRange } from '../range.js';
import { artifactResource, type ArtifactResource } from '../../contract/resources.js';
import { idLink, internalError, problemAnswer, problemContent, stringHeader, uriHeader } from '../openapi.js';
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

/** Any bytes: no schema (OpenAPI 3.1's way to say "binary, whatever its type"). */
const anyContent = { '*/*': {} };
const notFound = problemAnswer('No such artifact.');
const etagHeader = stringHeader('The SHA-256 of the content, quoted.');

const uploadRoute = createRoute({
  method: 'post',
  path: '/',
  operationId: 'uploadArtifact',
  summary: 'Upload an artifact',
  description:
    'Stores the request body as is, whatever its type, streamed (never held in memory); an absent or empty body is ' +
    'an empty artifact. The `Content-Type` is kept and served back (`application/octet-stream` when absent). The ' +
    'answer names the artifact by an unguessable id.',
  // Any media type, no schema: zod-openapi adds no body validator, so the body stays a stream.
  request: { body: { required: false, content: anyContent } },
  responses: {
    201: {
      description: 'Stored.',
      headers: { Location: uriHeader('Absolute URL of the artifact.'), ETag: etagHeader },
      content: { 'application/json': { schema: artifactResource } },
      links: {
        DownloadArtifact: idLink('downloadArtifact', 'Download the artifact.'),
        ArtifactHeaders: idLink('artifactHeaders', "The artifact's headers."),
      },
    },
    400: problemAnswer('The `Content-Type` is not a media type.'),
    413: problemAnswer('Larger than the limit; nothing was kept.'),
    ...internalError,
  },
});

const artifactHeaders = {
  ETag: etagHeader,
  'Accept-Ranges': stringHeader('`bytes`.'),
  'Cache-Control': stringHeader('`private, no-cache`: revalidate with `If-None-Match`.'),
};
const contentHeaders = {
  ...artifactHeaders,
  'Content-Length': {
    description: 'Bytes in this response.',
    required: true,
    schema: { type: 'integer' as const, minimum: 0 },
  },
};

/** The request headers of a download: a byte range, and revalidation. */
const downloadHeaders = z.object({
  range: z.string().optional().openapi({
    description:
      'One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`. Anything else (other units, several ranges) is ignored.',
    example: 'bytes=0-1023',
  }),
  'if-range': z
    .string()
    .optional()
    .openapi({ description: 'Honour `Range` only if the ETag is still this one.' }),
  'if-none-match': z.string().optional().openapi({ description: 'ETags (or `*`): `304` when one matches.' }),
});

const unsatisfiable = {
  description: 'The range is outside the content.',
  headers: {
    'Content-Range': stringHeader('`bytes */size`.'),
  },
};

const getResponses = {
  200: { description: 'The whole content.', headers: contentHeaders, content: anyContent },
  206: {
    description: 'The byte range asked for (`Range: bytes=a-b`, `bytes=a-` or `bytes=-n`).',
    headers: {
      ...contentHeaders,
      'Content-Range': stringHeader('`bytes a-b/size`.'),
    },
    content: anyContent,
  },
  304: { description: 'Unchanged (`If-None-Match`).', headers: artifactHeaders },
  404: notFound,
  416: { ...unsatisfiable, content: problemContent },
  ...internalError,
};

const downloadRoute = createRoute({
  method: 'get',
  path: '/{id}',
  operationId: 'downloadArtifact',
  summary: 'Download an artifact',
  description:
    'Streams the content back, whole or one byte range, with the `Content-Type` it was uploaded with.',
  request: { params: artifactIdParams, headers: downloadHeaders },
  responses: getResponses,
});

// HEAD is served by the GET route (Hono routes it there, with its middleware); documented apart.
const headRoute = createRoute({
  method: 'head',
  path: '/{id}',
  operationId: 'artifactHeaders',
  summary: "An artifact's headers",
  description: 'The headers `GET` would answer (size, type, ETag, range), without the content.',
  request: { params: artifactIdParams, headers: downloadHeaders },
  responses: {
    200: { description: 'The artifact exists.', headers: contentHeaders },
    206: { description: 'The range is satisfiable.', headers: contentHeaders },
    304: { description: 'Unchanged (`If-None-Match`).', headers: artifactHeaders },
    404: { description: 'No such artifact.' },
    416: unsatisfiable,
    500: { description: 'An unexpected error (logged by the server).' },
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
      if (!meta || meta.tenant !== tenantOf(c)) throw notFoundProblem('Artifact', id);
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
        if (err instanceof ArtifactNotFoundError) throw notFoundProblem('Artifact', id);
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
