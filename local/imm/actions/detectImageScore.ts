// DetectImageScore (reference §2): read `SourceURI` as IMM's data identity and score the pixels.
// Response `{ImageScore: {OverallQualityScore}}`, a number in [0, 1] (see ../score.ts for the formula).
import { immErrors } from '../errors';
import { parseOssUri, requireString, type OssUri } from '../params';
import { ImageDecodeError, scoreImage } from '../score';
import type { ImmAction } from './types';

export const detectImageScore: ImmAction<{ source: OssUri }> = {
  parse(params) {
    // Optional in the SDK model, but nothing can be scored without it.
    return { source: parseOssUri('SourceURI', requireString(params, 'SourceURI')) };
  },

  async run({ project, credentialConfig, data }, { source }) {
    const bytes = await data.read(project, source, credentialConfig);
    try {
      const quality = await scoreImage(bytes);
      return { ImageScore: { OverallQualityScore: quality.overall } };
    } catch (error) {
      if (error instanceof ImageDecodeError) throw immErrors.invalidArgument(`${error.message} (\`${source.uri}\`)`);
      throw error;
    }
  },
};
