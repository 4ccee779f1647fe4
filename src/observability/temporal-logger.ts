/**
 * The Temporal SDK's logs through longrun's logger: the Runtime's (worker lifecycle, and the
 * native core's when forwarded), `workflow.log` and activities' `Context.log`. The SDK's fields
 * stay as they are; an orchestrator's workflow id also appears as `processId`, and its runner's
 * activity type as `kind`, so one process's lines are found the same way in API and worker logs.
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from './logger.js';

const pinoLevel = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
} as const satisfies Record<LogLevel, string>;

/** The Temporal level that lets through what pino's `level` logs. */
export function temporalLevelOf(level: string): LogLevel {
  switch (level) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'info':
      return 'INFO';
    case 'warn':
      return 'WARN';
    default:
      return 'ERROR';
  }
}

/** A Temporal {@link TemporalLogger} writing through `logger`. */
export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    logger[pinoLevel[level]](meta ? fieldsOf(meta) : {}, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

function fieldsOf(meta: LogMetadata): Record<string, unknown> {
  // The task token is an opaque blob: noise in every activity line.
  const { taskToken: _taskToken, error, ...fields } = meta as Record<string, unknown>;
  if (error !== undefined) fields.err = error;
  const { workflowId, workflowType, activityType } = fields;
  if (typeof workflowId === 'string') {
    if (workflowType === 'processOrchestrator') {
      fields.processId = workflowId;
      if (typeof activityType === 'string') fields.kind = activityType;
    } else if (workflowType === 'webhookDeliveries') {
      fields.processId = workflowId.replace(/:webhooks$/, '');
    }
  }
  return fields;
}
