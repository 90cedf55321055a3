// The operations the offline IMM implements, by API name.
import { createMediaConvertTask } from './createMediaConvertTask';
import { createOfficeConversionTask } from './createOfficeConversionTask';
import { detectImageScore } from './detectImageScore';
import { generateWebofficeToken } from './generateWebofficeToken';
import { getTask } from './getTask';
import { refreshWebofficeToken } from './refreshWebofficeToken';
import type { ImmAction } from './types';

export type { ActionContext, ImmAction } from './types';

export const IMM_ACTIONS: Readonly<Record<string, ImmAction<unknown>>> = {
  DetectImageScore: detectImageScore as ImmAction<unknown>,
  CreateMediaConvertTask: createMediaConvertTask as ImmAction<unknown>,
  CreateOfficeConversionTask: createOfficeConversionTask as ImmAction<unknown>,
  GetTask: getTask as ImmAction<unknown>,
  GenerateWebofficeToken: generateWebofficeToken as ImmAction<unknown>,
  RefreshWebofficeToken: refreshWebofficeToken as ImmAction<unknown>,
};
