// doctor's keys, read as `s` reads them: an alias of ~/.s/access.yaml (S_HOME), or ALIBABA_CLOUD_* variables.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { accessAlias, envKeys } from '../../cli/doctorCredentials';
import { UsageError } from '../../cli/io';

describe('doctor credentials', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(path.join(tmpdir(), 's-home-'));
    // What `s config add` writes (alibabacloud.com/help/en/functioncompute/configure-serverless-devs).
    writeFileSync(
      path.join(home, 'access.yaml'),
      'data:\n  AccountID: 1000000000000001\n  AccessKeyID: LTAI-data\n  AccessKeySecret: secret-data\nbroken:\n  AccessKeyID: LTAI-x\n',
    );
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('reads an alias of access.yaml, the account id as a string', () => {
    // Act
    const keys = accessAlias('doctor', 'data', { S_HOME: home });
    // Assess
    expect(keys).toEqual({ accountId: '1000000000000001', accessKeyId: 'LTAI-data', accessKeySecret: 'secret-data' });
  });

  it('names a missing alias, a missing field and a missing file as usage errors', () => {
    // Act / Assess
    expect(() => accessAlias('doctor', 'media', { S_HOME: home })).toThrow(/no alias `media`/);
    expect(() => accessAlias('doctor', 'broken', { S_HOME: home })).toThrow(/has no AccountID, AccessKeySecret/);
    expect(() => accessAlias('doctor', 'data', { S_HOME: path.join(home, 'nope') })).toThrow(UsageError);
  });

  it('reads ALIBABA_CLOUD_* and wants the account id with them', () => {
    // Act / Assess
    expect(envKeys('doctor', {})).toBeUndefined();
    expect(envKeys('doctor', { ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'b', ALIBABA_CLOUD_ACCOUNT_ID: '1' })).toEqual({ accountId: '1', accessKeyId: 'a', accessKeySecret: 'b' });
    expect(() => envKeys('doctor', { ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'b' })).toThrow(/ALIBABA_CLOUD_ACCOUNT_ID/);
  });
});
