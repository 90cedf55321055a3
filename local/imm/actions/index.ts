// The operations the offline IMM implements, by API name.
import { createMediaConvertTask } from './createMediaConvertTask';
import { createOfficeConversionTask } from './createOfficeConversionTask';
import { detectImageScore } from './detectImageScore';
import { getTask } from './getTask';
import type { ImmAction } from './types';

export type { ActionContext, ImmAction } from './types';

export const IMM_ACTIONS: Readonly<Record<string, ImmAction<unknown>>> = {
  DetectImageScore: detectImageScore as ImmAction<unknown>,
  CreateMediaConvertTask: createMediaConvertTask as ImmAction<unknown>,
  CreateOfficeConversionTask: createOfficeConversionTask as ImmAction<unknown>,
  GetTask: getTask as ImmAction<unknown>,
};
