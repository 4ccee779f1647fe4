import { defineQuery } from '@temporalio/workflow';
import type { DeliveryState } from '../contract/resources.js';

/** The deliveries workflow's view of every event's delivery. */
export const deliveriesQuery = defineQuery<DeliveryState[]>('deliveries');
