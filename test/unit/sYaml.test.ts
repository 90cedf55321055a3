// `npm run check:s-yaml`: s.yaml as `s deploy` would create it, checked offline. The mutation matrix holds the
// realistic mistakes a user makes in s.yaml or its environment; each must be caught, naming the field to fix.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { checkSYaml, validateSYaml } from '../../scripts/sYaml';

const root = path.join(__dirname, '..', '..');
const schema = JSON.parse(readFileSync(path.join(root, '..', 'shared', 'data', 'fc3-schema.json'), 'utf8')) as object;
const sYaml = readFileSync(path.join(root, 's.yaml'), 'utf8');
// What a real cross-account deployment exports before `s deploy` (docs/deploy.md, step 2).
const deployEnv = {
  BUCKET: 'acme-media-in',
  ALLOWED_BUCKETS: 'acme-media-in',
  IMM_PROJECT: 'acme-media',
  IMM_ROLE_ARN: 'acs:ram::2081234567890123:role/imm-bridge-operator',
  IMM_ROLE_EXTERNAL_ID: 'imm-bridge-5f0c2a9d81b7e4c3',
  API_TOKENS_SHA256: 'a'.repeat(64),
};

/** s.yaml with one field changed, as a user would edit it (`undefined` deletes the field). */
function edited(changes: Record<string, unknown>): string {
  const doc = parseDocument(sYaml);
  for (const [dotted, value] of Object.entries(changes)) {
    const keys = dotted.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    if (value === undefined) doc.deleteIn(keys);
    else doc.setIn(keys, value);
  }
  return doc.toString();
}

describe('check:s-yaml', () => {
  it('passes the project s.yaml with a real deployment environment, and says what it checked', () => {
    // Act
    const report = checkSYaml(sYaml, schema, root, { env: deployEnv });
    // Assess
    expect(report.problems).toEqual([]);
    expect(report.checked.join('\n')).toMatch(/fc3 props schema/);
    expect(report.checked[0]).toMatch(/on-upload \(imm-bridge-on-upload\), api \(imm-bridge-api\)/);
  });

  it('passes the local stack\'s values with --local', () => {
    // Act / Assess
    expect(validateSYaml(sYaml, schema, root, {}, { local: true })).toEqual([]);
  });

  it('refuses the demo values and an empty token list without --local, naming each fix', () => {
    // Act
    const problems = validateSYaml(sYaml, schema, root, { IMM_ROLE_ARN: 'acs:ram::2000000000000002:role/imm-bridge-operator' }).join('\n');
    // Assess
    expect(problems).toMatch(/API_TOKENS_SHA256 is empty, so the api refuses every caller/);
    expect(problems).toMatch(/IMM_PROJECT is the demo project `immtest`/);
    expect(problems).toMatch(/ALLOWED_BUCKETS holds the demo bucket/);
    expect(problems).toMatch(/vars\.bucket is the demo bucket/);
    expect(problems).toMatch(/IMM_ROLE_ARN names the placeholder account 2000000000000002/);
    expect(problems).toMatch(/IMM_ROLE_EXTERNAL_ID is ``: set the ExternalId/);
  });

  it('runs the functions\' own configuration check on the values they will deploy with', () => {
    // Act
    const problems = validateSYaml(sYaml, schema, root, { ...deployEnv, ALLOWED_BUCKETS: 'Bad_Bucket', API_TOKENS_SHA256: 'zz' }).join('\n');
    // Assess
    expect(problems).toMatch(/resources\.on-upload\.props\.environmentVariables: ALLOWED_BUCKETS holds an invalid bucket name/);
    expect(problems).toMatch(/resources\.api\.props\.environmentVariables: API_TOKENS_SHA256 must hold hex SHA-256 hashes/);
  });

  it('requires the build output when asked to (the CLI does)', () => {
    // Act
    const problems = validateSYaml(sYaml, schema, path.join(root, 'test'), deployEnv, { requireBuild: true }).join('\n');
    // Assess: test/ has no functions/ and no dist/, as a clone that was never built.
    expect(problems).toMatch(/resources\.on-upload\.props\.code `\.\/dist\/on-upload` has no index\.js: run `npm run build`/);
  });

  const OSS = 'resources.on-upload.props.triggers.0';
  const HTTP = 'resources.api.props.triggers.0';
  it.each([
    ['authType function with bearer clients', { [`${HTTP}.triggerConfig.authType`]: 'function' }, /triggers\[0\]\.triggerConfig\.authType `function`: the api authenticates `Authorization: Bearer` itself/],
    ['authType jwt', { [`${HTTP}.triggerConfig.authType`]: 'jwt' }, /authType `jwt`/],
    ['a trigger on another account\'s bucket', { [`${OSS}.sourceArn`]: 'acs:oss:cn-hangzhou:2081234567890123:acme-media-in' }, /sourceArn names account 2081234567890123: a trigger's source must belong to the deploying account/],
    [
      'an MNS topic trigger on the media account\'s topic',
      { 'resources.api.props.triggers.1': { triggerName: 't', triggerType: 'mns_topic', invocationRole: 'acs:ram::1:role/aliyunmnsnotificationrole', sourceArn: 'acs:mns:cn-hangzhou:2081234567890123:/topics/imm', triggerConfig: { notifyContentFormat: 'JSON', notifyStrategy: 'BACKOFF_RETRY' } } },
      /triggers\[1\]\.sourceArn names account 2081234567890123.*subscribe the api's \/notifications\/imm over HTTP/,
    ],
    ['a wrong handler', { 'resources.api.props.handler': 'index.main' }, /resources\.api\.props\.handler must be `index\.handler`/],
    ['code outside the build output', { 'resources.api.props.code': './functions/api' }, /resources\.api\.props\.code must be `\.\/dist\/<function>`/],
    ['code naming no function', { 'resources.api.props.code': './dist/apii' }, /functions\/apii\/index\.ts does not exist/],
    ['no pre-deploy build', { 'resources.on-upload.actions': undefined }, /resources\.on-upload\.actions: add `pre-deploy: - run: npm run build`/],
    ['a filter prefix outside INPUT_PREFIX', { [`${OSS}.triggerConfig.filter.key.prefix`]: 'uploads/' }, /filter\.key\.prefix `uploads\/` must equal INPUT_PREFIX `incoming\/`/],
    ['a missing variable', { 'resources.api.props.role': '${vars.functionRol}' }, /resources\.api: undefined variable `vars\.functionRol`/],
    ['a missing environment variable', { 'vars.environment.ALLOWED_BUCKETS': undefined }, /lacks ALLOWED_BUCKETS/],
    ['a missing invocationRole', { [`${OSS}.invocationRole`]: undefined }, /triggers\[0\]\.invocationRole is required/],
    [
      'a bad cron',
      { 'resources.api.props.triggers.1': { triggerName: 'tick', triggerType: 'timer', triggerConfig: { cronExpression: '0 */5 * * *', enable: true } } },
      /triggers\[1\]\.triggerConfig\.cronExpression `0 \*\/5 \* \* \*`: a cron expression has 6 fields/,
    ],
    ['a timer interval under a minute', { 'resources.reconcile.props.triggers.0.triggerConfig.cronExpression': '@every 10s' }, /cronExpression `@every 10s`: FC documents intervals of whole minutes/],
    ['a numeric environment value', { 'vars.environment.STS_DURATION_SECONDS': 3600 }, /environmentVariables\.STS_DURATION_SECONDS must be a string/],
    ['source maps at cold start', { 'vars.environment.NODE_OPTIONS': '--enable-source-maps' }, /NODE_OPTIONS: --enable-source-maps costs/],
    ['memory not a multiple of 64', { 'resources.api.props.memorySize': 500 }, /multiple of 64/],
    ['an unknown OSS event name', { [`${OSS}.triggerConfig.events`]: ['oss:ObjectCreated:Put'] }, /allowed values/],
    ['results under the trigger prefix', { 'vars.environment.RESULTS_PREFIX': 'incoming/results/' }, /RESULTS_PREFIX `incoming\/results\/` overlaps INPUT_PREFIX/],
  ])('catches %s', (_name, changes, message) => {
    // Prepare
    const text = edited(changes);
    // Act
    const problems = validateSYaml(text, schema, root, deployEnv);
    // Assess
    expect(problems.join('\n')).toMatch(message);
  });
});
