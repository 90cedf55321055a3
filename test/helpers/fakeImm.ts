// An ImmClient for unit tests: the methods a test gives, and for the rest a failure that says it was unexpected.
import type { ImmClient } from '../../shared/imm';

export function fakeImm(methods: Partial<ImmClient>): ImmClient {
  const unexpected = (name: string) => async () => {
    throw new Error(`unexpected IMM call: ${name}`);
  };
  return {
    detectImageScore: unexpected('detectImageScore'),
    createMediaConvertTask: unexpected('createMediaConvertTask'),
    createOfficeConversionTask: unexpected('createOfficeConversionTask'),
    generateWebofficeToken: unexpected('generateWebofficeToken'),
    refreshWebofficeToken: unexpected('refreshWebofficeToken'),
    getTask: unexpected('getTask'),
    ...methods,
  };
}
