import { defineQuery } from '@temporalio/workflow';
import type { ProcessState } from './process-state.js';

/** The orchestrator's own view of its process (for operators and tools; the API reads the server). */
export const statusQuery = defineQuery<ProcessState>('status');
