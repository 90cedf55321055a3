// Timer trigger handler: settles what the event path left pending (shared/reconcile.ts). A run that could
// not list the pending markers throws, so that FC counts it as failed; anything else waits for the next run,
// which is never further away than the trigger's interval.
import { parseTimerEvent } from '../../shared/fc/timerEvent';
import type { FcContext } from '../../shared/fc/types';
import { reconcile, type ReconcileSummary } from '../../shared/reconcile';
import { sidecarFunction, type SidecarFunctionOptions } from '../../shared/sidecarFunction';

export type ReconcileHandlerOptions = SidecarFunctionOptions;

/** `runtime` and `sidecars` let tests inject fakes; otherwise they are built from the environment on the first invocation. */
export function createHandler(options: ReconcileHandlerOptions = {}) {
  const container = sidecarFunction(options);
  return async function handler(event: Buffer, context: FcContext): Promise<ReconcileSummary> {
    const { runtime, invocation, sidecars } = container(context);
    const timer = parseTimerEvent(event);
    invocation.log.debug({ triggerName: timer.triggerName, triggerTime: timer.triggerTime }, 'reconcile run started');
    return reconcile(runtime, invocation, sidecars);
  };
}

export const handler = createHandler();
