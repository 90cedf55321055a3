// What the two functions that write sidecars (on-upload, on-task-done) keep in a warm container: the runtime
// and one sidecar store per set of function credentials, built on the first invocation unless a test injected
// them. Kept apart from runtime.ts so that the api loads ali-oss only on the one route that writes sidecars.
import type { Credentials } from './credentials';
import type { FcContext } from './fc/types';
import { sidecarStores, type SidecarStore } from './oss';
import { createRuntime, invocationFrom, type Invocation, type Runtime, type RuntimeOptions } from './runtime';

export interface SidecarFunctionOptions extends RuntimeOptions {
  runtime?: Runtime;
  sidecars?: (credentials: Credentials) => SidecarStore;
}

export interface SidecarInvocation {
  runtime: Runtime;
  invocation: Invocation;
  sidecars: SidecarStore;
}

export function sidecarFunction(options: SidecarFunctionOptions): (context: FcContext) => SidecarInvocation {
  let runtime = options.runtime;
  let sidecarsFor = options.sidecars;
  return (context) => {
    runtime ??= createRuntime(options);
    sidecarsFor ??= sidecarStores(runtime.config);
    const invocation = invocationFrom(context, runtime.log);
    return { runtime, invocation, sidecars: sidecarsFor(invocation.credentials) };
  };
}
