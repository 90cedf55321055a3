// DetectImageScore (reference §2): read `SourceURI` as IMM's data identity and score the pixels.
// Response `{ImageScore: {OverallQualityScore}}`, a number in [0, 1] (see ../score.ts for the formula).
// The image is decoded from memory, so it is held whole: within IMM's image limits (20 MB, checked on the
// object's size before a byte is read; 30,000 px a side and 250 Mpx, checked on its header before it is
// decoded) and within the MemoryBudget.
import { immErrors } from '../errors';
import { parseOssUri, requireString, type OssUri } from '../params';
import { IMAGE_LIMITS, ImageDecodeError, ImageTooLargeError, scoreImage, WORKING_BYTES } from '../score';
import type { ImmAction } from './types';

export const detectImageScore: ImmAction<{ source: OssUri }> = {
  parse(params) {
    // Optional in the SDK model, but nothing can be scored without it.
    return { source: parseOssUri('SourceURI', requireString(params, 'SourceURI')) };
  },

  async run({ project, credentialConfig, data }, { source }) {
    const limit = {
      maxBytes: IMAGE_LIMITS.maxBytes,
      // IMM documents no code of its own for this: InvalidArgument, like WebOffice's 200 MB limit.
      refuse: (size: number) =>
        immErrors.invalidArgument(`The image \`${source.uri}\` is too large to score: ${size} bytes, IMM takes images up to 20 MB (${IMAGE_LIMITS.maxBytes} bytes).`),
    };
    return data.withBytes(project, source, credentialConfig, limit, WORKING_BYTES, async (bytes) => {
      try {
        const quality = await scoreImage(bytes);
        return { ImageScore: { OverallQualityScore: quality.overall } };
      } catch (error) {
        if (error instanceof ImageDecodeError) throw immErrors.invalidArgument(`${error.message} (\`${source.uri}\`)`);
        if (error instanceof ImageTooLargeError) throw immErrors.invalidArgument(`The image \`${source.uri}\` is too large to score: ${error.message}.`);
        throw error;
      }
    });
  },
};
