/**
 * OpenTelemetry tracing, configured the standard way: on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, spans sent over `OTEL_EXPORTER_OTLP_PROTOCOL`
 * (`http/protobuf` by default, `http/json` or `grpc`), named by `OTEL_SERVICE_NAME` (default
 * `longrun-api` / `longrun-worker`); every other `OTEL_*` variable (headers, sampler, batch
 * sizes, resource attributes, propagators) is read by the SDK itself. W3C `traceparent` is
 * extracted from requests and injected into Temporal headers and webhook deliveries.
 *
 * Temporal's own {@link OpenTelemetryPlugin} carries the trace through Temporal: the client
 * interceptor (the workflow start), the workflow interceptors (the workflow, its activities and
 * child workflows) and the activity interceptor (each runner and delivery attempt). The worker
 * needs it even with tracing off, as the workflow bundle always contains its workflow
 * interceptors: their spans then go to a span processor that drops them.
 */
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import {
  Resource,
  detectResourcesSync,
  envDetectorSync,
  hostDetectorSync,
  processDetectorSync,
  type IResource,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config.js';

export type TracingConfig = Pick<
  Config,
  | 'OTEL_EXPORTER_OTLP_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_PROTOCOL'
  | 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
>;

export interface Tracing {
  /** Whether spans are exported. */
  readonly enabled: boolean;
  /** Where they go, for the startup log line. */
  readonly describe: string;
  /** Temporal's OpenTelemetry plugin, for the client, the worker and the bundler. */
  readonly plugin: OpenTelemetryPlugin;
  /** Export what is still buffered, then stop. */
  shutdown(): Promise<void>;
}

/** The plugin with nothing behind it: for bundling the traced workflow bundle ahead of time. */
export function inertTracingPlugin(): OpenTelemetryPlugin {
  return new OpenTelemetryPlugin({ resource: Resource.empty(), spanProcessor: new NoopSpanProcessor() });
}

export async function startTracing(config: TracingConfig, defaultServiceName: string): Promise<Tracing> {
  const endpoint = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) {
    return {
      enabled: false,
      describe: 'off (no OTEL_EXPORTER_OTLP_ENDPOINT)',
      plugin: inertTracingPlugin(),
      shutdown: () => Promise.resolve(),
    };
  }
  const protocol =
    config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  const resource = serviceResource(defaultServiceName);
  // The exporter reads the endpoint (adding /v1/traces to a base one), headers and timeout itself.
  const processor = new BatchSpanProcessor(await exporterFor(protocol));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // The global tracer provider, the AsyncLocalStorage context manager and the W3C propagators.
  provider.register();
  return {
    enabled: true,
    describe: `${protocol} to ${endpoint} as ${String(resource.attributes['service.name'])}`,
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor: processor }),
    shutdown: () => provider.shutdown(),
  };
}

/** The SDK's defaults, then our service name, then what the environment says (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES). */
function serviceResource(defaultServiceName: string): IResource {
  return Resource.default()
    .merge(new Resource({ 'service.name': defaultServiceName }))
    .merge(detectResourcesSync({ detectors: [processDetectorSync, hostDetectorSync, envDetectorSync] }));
}

/** Only the exporter of the chosen protocol is loaded. */
async function exporterFor(protocol: 'http/protobuf' | 'http/json' | 'grpc'): Promise<SpanExporter> {
  switch (protocol) {
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    default:
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  }
}
