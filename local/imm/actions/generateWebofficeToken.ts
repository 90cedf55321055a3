// GenerateWebofficeToken (reference §2): IMM opens the document as its data identity first (so a missing
// bucket-policy grant or a missing object fails here, as DataAccess reports it, and the 200 MB limit is
// checked on its size; the body itself is not read), then opens a WebOffice session (../weboffice/tokens.ts). The WebofficeURL points
// back at this server as the request reached it; the viewer (../weboffice/viewer.ts) serves it.
import { parseGenerateParams, assertPreviewSize, type GenerateInput } from '../weboffice/params';
import { immTime } from '../params';
import { viewerUrl } from '../weboffice/viewer';
import type { ImmAction } from './types';

export const generateWebofficeToken: ImmAction<GenerateInput> = {
  parse: parseGenerateParams,

  async run({ project, credentialConfig, data, weboffice, host }, input) {
    assertPreviewSize(await data.probe(project, input.source, credentialConfig), input.source);
    const issued = weboffice.issue({
      project,
      source: input.source,
      filename: input.filename,
      permission: input.permission,
      credentialConfig,
      user: input.user,
      previewPages: input.previewPages,
    });
    return {
      WebofficeURL: viewerUrl(host, issued.fileId),
      AccessToken: issued.accessToken,
      AccessTokenExpiredTime: immTime(issued.accessTokenExpiresAt),
      RefreshToken: issued.refreshToken,
      RefreshTokenExpiredTime: immTime(issued.refreshTokenExpiresAt),
    };
  },
};
