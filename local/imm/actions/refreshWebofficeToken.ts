// RefreshWebofficeToken (S-IMM RefreshWebofficeTokenRequest: ProjectName, AccessToken, RefreshToken,
// CredentialConfig): trades a pair for a new one on the same session, and the old pair stops working. The
// answer has no WebofficeURL, as IMM's has none: the URL of the session stays the same.
// A refused pair is 400 `Invalid{ParameterName}`, the pattern of IMM's common-error table (D-ERR:
// "Specified parameter {ParameterName} is not valid."), followed by why.
import { ImmError } from '../errors';
import { immTime, requireString } from '../params';
import { WebofficeTokenError } from '../weboffice/tokens';
import type { ImmAction } from './types';

export const refreshWebofficeToken: ImmAction<{ accessToken: string; refreshToken: string }> = {
  parse(params) {
    return { accessToken: requireString(params, 'AccessToken'), refreshToken: requireString(params, 'RefreshToken') };
  },

  async run({ project, weboffice }, { accessToken, refreshToken }) {
    let issued;
    try {
      issued = weboffice.refresh(project, accessToken, refreshToken);
    } catch (error) {
      if (!(error instanceof WebofficeTokenError)) throw error;
      const parameter = error.reason === 'mismatch' ? 'AccessToken' : 'RefreshToken';
      throw new ImmError(400, `Invalid${parameter}`, `Specified parameter ${parameter} is not valid: ${error.message}; call GenerateWebofficeToken for a new pair.`);
    }
    return {
      AccessToken: issued.accessToken,
      AccessTokenExpiredTime: immTime(issued.accessTokenExpiresAt),
      RefreshToken: issued.refreshToken,
      RefreshTokenExpiredTime: immTime(issued.refreshTokenExpiresAt),
    };
  },
};
