/**
 * The client's types, all derived from the schemas the server validates and answers with (the
 * contract's resources, the kinds' input schemas, the list query): imported as types only, so the
 * client carries none of the server's code.
 */
import type { z } from 'zod';
import type { kinds, KindName } from '../kinds/index.js';
import type { listQuery } from '../api/request-schemas.js';
import type { CallbackRequest } from '../contract/resources.js';

export type {
  ArtifactResource,
  CallbackRequest,
  FieldError,
  ProblemDetails,
  ProcessPage,
  ProcessResource,
  ProcessSummaryResource,
} from '../contract/resources.js';
export type { ProcessStatus } from '../contract/process-status.js';
export type { WebhookEventType } from '../contract/webhook-events.js';
export type { WebhookEvent } from '../webhooks/events.js';
export type { KindName };

/** What a start request's `input` may be for this kind (defaults may be left out). */
export type KindInput<K extends KindName> = z.input<(typeof kinds)[K]['input']>;

export interface StartOptions {
  /** Same key and same body: the same process. Made (a random UUID) when not given, so retries are safe. */
  idempotencyKey?: string;
  /** Where the server sends the process's webhook events. */
  callback?: CallbackRequest;
  /** Wait up to this many seconds for the process to end before answering (`Prefer: wait=N`). */
  wait?: number;
  signal?: AbortSignal;
}

/** The filters of `list` (as `GET /processes` takes them, but `cursor`: the iterator pages itself). */
export type ListFilter = Omit<z.input<typeof listQuery>, 'cursor'>;

export interface WaitOptions {
  /** Give up after this many seconds and return the process as it is then (default: wait until it ends). */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface EventsOptions {
  /** Resume after this event id (as a reconnect does). */
  lastEventId?: string;
  /** Consecutive failed reconnects before giving up (default 10). */
  maxReconnects?: number;
  signal?: AbortSignal;
}

export interface UploadOptions {
  /** Stored and served back (default `application/octet-stream`). */
  contentType?: string;
  signal?: AbortSignal;
}

/** A downloaded artifact: its headers and its content as a stream. */
export interface DownloadedArtifact {
  contentType: string;
  size: number;
  /** The SHA-256 of the content, lowercase hex. */
  sha256: string;
  body: ReadableStream<Uint8Array>;
}
