// The contract of one IMM operation. ImmService does what every operation shares — ProjectName,
// CredentialConfig, the project lookup in the caller's account and the RAM check of `imm:<Action>` on the
// project — and then hands over to the action's `run`. Adding CreateMediaConvertTask, GetTask, … is one
// module each, registered in actions/index.ts.
import type { Caller } from '../../ram';
import type { DataAccess } from '../DataAccess';
import type { FfmpegRunner } from '../ffmpeg';
import type { CredentialConfig, Params } from '../params';
import type { Project } from '../ProjectRegistry';
import type { TaskRegistry } from '../tasks';
import type { WebofficeTokenStore } from '../weboffice/tokens';

export interface ActionContext {
  caller: Caller;
  project: Project;
  credentialConfig?: CredentialConfig;
  /** IMM's own identity towards the data (the project's service role, or the CredentialConfig chain). */
  data: DataAccess;
  region: string;
  requestId: string;
  now: () => number;
  /** Asynchronous tasks of every project (CreateMediaConvertTask, GetTask). */
  tasks: TaskRegistry;
  ffmpeg: FfmpegRunner;
  /** WebOffice sessions (GenerateWebofficeToken, RefreshWebofficeToken), shared with the viewer. */
  weboffice: WebofficeTokenStore;
  /** `host[:port]` the request reached IMM at: the WebofficeURL points back at the same server. */
  host: string;
}

export interface ImmAction<Input> {
  /** Checks and converts the action's own parameters (not ProjectName or CredentialConfig); throws ImmError 400. */
  parse(params: Params): Input;
  /** The response body without RequestId. Throws ImmError. */
  run(context: ActionContext, input: Input): Promise<Record<string, unknown>>;
}
