// The operations the offline IMM implements, by API name.
import { detectImageScore } from './detectImageScore';
import type { ImmAction } from './types';

export type { ActionContext, ImmAction } from './types';

export const IMM_ACTIONS: Readonly<Record<string, ImmAction<unknown>>> = {
  DetectImageScore: detectImageScore as ImmAction<unknown>,
};
