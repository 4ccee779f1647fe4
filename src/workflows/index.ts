/** The only `workflowsPath`: every workflow is re-exported from here. */
export { processOrchestrator, type ProcessOrchestratorInput } from './process-orchestrator.js';
export { webhookDeliveries, type WebhookDeliveriesInput } from './webhook-deliveries.js';
