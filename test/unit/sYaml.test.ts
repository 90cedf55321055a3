import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { validateSYaml } from '../../scripts/sYaml';

const root = path.join(__dirname, '..', '..');
const schema = JSON.parse(readFileSync(path.join(root, '..', 'shared', 'data', 'fc3-schema.json'), 'utf8')) as object;
const sYaml = readFileSync(path.join(root, 's.yaml'), 'utf8');
// What a cross-account deployment sets before `s deploy` (README, Deploy).
const deployEnv = { IMM_ROLE_ARN: 'acs:ram::2000000000000002:role/imm-bridge-operator', MEDIA_ACCOUNT_ID: '2000000000000002' };

describe('s.yaml', () => {
  it('passes the fc3 props schema and our trigger checks', () => {
    // Act
    const problems = validateSYaml(sYaml, schema, root, deployEnv);
    // Assess
    expect(problems).toEqual([]);
  });

  it.each([
    ['no MEDIA_ACCOUNT_ID', { IMM_ROLE_ARN: deployEnv.IMM_ROLE_ARN }, /names no account: set MEDIA_ACCOUNT_ID to the account of IMM_ROLE_ARN \(2000000000000002\)/],
    ['a MEDIA_ACCOUNT_ID other than the operator role\'s account', { ...deployEnv, MEDIA_ACCOUNT_ID: '3000000000000003' }, /topic of account 3000000000000003, but IMM publishes to the account of IMM_ROLE_ARN/],
    ['same-account mode without MEDIA_ACCOUNT_ID', {}, /set MEDIA_ACCOUNT_ID to this account's uid/],
  ])('catches a topic trigger on the wrong account: %s', (_name, env, message) => {
    // Act
    const problems = validateSYaml(sYaml, schema, root, env);
    // Assess
    expect(problems.join('\n')).toMatch(message);
  });

  it('runs the functions\' own configuration check on the values they will deploy with', () => {
    // Act
    const problems = validateSYaml(sYaml, schema, root, { ...deployEnv, ALLOWED_BUCKETS: 'Bad_Bucket', API_TOKENS_SHA256: 'zz' }).join('\n');
    // Assess
    expect(problems).toMatch(/resources\.on-upload\.props\.environmentVariables: ALLOWED_BUCKETS holds an invalid bucket name/);
    expect(problems).toMatch(/resources\.api\.props\.environmentVariables: API_TOKENS_SHA256 must hold hex SHA-256 hashes/);
  });

  it('accepts same-account mode with the account set', () => {
    // Act / Assess
    expect(validateSYaml(sYaml, schema, root, { MEDIA_ACCOUNT_ID: '1000000000000001' })).toEqual([]);
  });

  it('declares the three functions, the OSS trigger on incoming/, the HTTP trigger with function auth and the MNS topic trigger', () => {
    // Prepare
    const doc = parse(sYaml);
    // Act
    const upload = doc.resources['on-upload'].props;
    const api = doc.resources.api.props;
    // Assess
    expect(upload.code).toBe('./dist/on-upload');
    expect(api.code).toBe('./dist/api');
    expect(upload.triggers[0]).toMatchObject({ triggerType: 'oss', triggerConfig: { events: ['oss:ObjectCreated:*'], filter: { key: { prefix: 'incoming/', suffix: '' } } } });
    expect(api.triggers[0]).toMatchObject({ triggerType: 'http', triggerConfig: { authType: 'function' } });
    const taskDone = doc.resources['on-task-done'].props;
    expect(taskDone.code).toBe('./dist/on-task-done');
    expect(taskDone.triggers[0]).toMatchObject({ triggerType: 'mns_topic', triggerConfig: { notifyContentFormat: 'JSON' } });
    expect(taskDone.triggers[0].sourceArn).toMatch(/^acs:mns:\$\{vars\.region\}:\$\{vars\.mediaAccountId\}:\/topics\/\$\{vars\.notifyTopic\}$/);
  });

  it.each([
    ['an OSS trigger without suffix', (d: any) => delete d.resources['on-upload'].props.triggers[0].triggerConfig.filter.key.suffix, /suffix/],
    ['an unknown event name', (d: any) => (d.resources['on-upload'].props.triggers[0].triggerConfig.events = ['oss:ObjectCreated:Put']), /allowed values/],
    ['a trigger prefix other than INPUT_PREFIX', (d: any) => (d.resources['on-upload'].props.triggers[0].triggerConfig.filter.key.prefix = 'uploads/'), /must equal INPUT_PREFIX/],
    ['a numeric env value', (d: any) => (d.vars.environment.STS_DURATION_SECONDS = 3600), /must be string/],
    ['a missing env var', (d: any) => delete d.vars.environment.ALLOWED_BUCKETS, /lacks ALLOWED_BUCKETS/],
    ['an anonymous HTTP trigger', (d: any) => (d.resources.api.props.triggers[0].triggerConfig.authType = 'anonymous'), /anonymous/],
    ['memory not a multiple of 64', (d: any) => (d.resources.api.props.memorySize = 500), /multiple of 64/],
    ['code outside dist', (d: any) => (d.resources.api.props.code = './src'), /\.\/dist\/<function>/],
    ['an MNS trigger on another topic than IMM_NOTIFY_TOPIC', (d: any) => (d.resources['on-task-done'].props.triggers[0].sourceArn = 'acs:mns:cn-hangzhou:2:/topics/other'), /must equal IMM_NOTIFY_TOPIC/],
    ['an MNS trigger without notifyStrategy', (d: any) => delete d.resources['on-task-done'].props.triggers[0].triggerConfig.notifyStrategy, /notifyStrategy/],
    ['an MNS trigger with a queue ARN', (d: any) => (d.resources['on-task-done'].props.triggers[0].sourceArn = 'acs:mns:cn-hangzhou:2:/queues/q'), /topics/],
    ['an MNS trigger on the upload function', (d: any) => d.resources['on-upload'].props.triggers.push(d.resources['on-task-done'].props.triggers[0]), /only on-task-done/],
  ])('catches %s', (_name, mutate, message) => {
    // Prepare
    const doc = parse(sYaml);
    mutate(doc);
    // Act
    const problems = validateSYaml(stringify(doc), schema, root, deployEnv);
    // Assess
    expect(problems.join('\n')).toMatch(message);
  });
});
