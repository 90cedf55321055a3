// The one source of what calling IMM on one project needs in RAM: the `imm:` actions in use, the resources they are
// granted on, and `ram:PassRole` on the project's service role. `policy generate` writes these statements into the
// operator role's policy, the function sends the same statements as its AssumeRole session policy, and the local IMM
// decides from the same table which operations check PassRole. Nothing here has runtime dependencies.
//
// Sources: IMM's RAM authorization reference (help.aliyun.com/zh/imm/developer-reference/api-imm-2020-09-30-ram) grants
// at resource level (授权粒度: 资源级) with the project as `acs:imm:{#regionId}:{#accountId}:project/{#ProjectName}`
// and the project's parts below it (`…/project/{#ProjectName}/dataset/{#DatasetName}`, `…/trigger/*`); its custom-policy
// examples scope actions to `acs:imm:*:<uid>:project/<name>` (alibabacloud.com/help/en/imm/security-and-compliance/
// imm-custom-permission-policy-reference). ram:PassRole: reference/ram-policy.md §5.

/** The IMM operations imm-bridge calls (DESIGN §3.3); each becomes one `imm:` action of the operator role. */
export const IMM_OPERATIONS = [
  'DetectImageScore',
  'CreateMediaConvertTask',
  'CreateOfficeConversionTask',
  'GenerateWebofficeToken',
  'RefreshWebofficeToken',
  'GetTask',
] as const;

export type ImmOperation = (typeof IMM_OPERATIONS)[number];

/** IMM's service role when a project names none. */
export const DEFAULT_IMM_SERVICE_ROLE = 'AliyunIMMDefaultRole';

/**
 * The operations that make IMM act as the project's service role on the caller's data: it reads the input (and writes
 * the outputs, or opens the document for the WebOffice viewer) as that role. Calling one of them hands the role to IMM,
 * so the caller must be allowed `ram:PassRole` on it.
 *
 * A choice, documented: IMM's docs do not say that these actions check PassRole (the API tables list no dependent
 * action). They do say that whoever puts a role on a project must hold what the role holds, and OSS's "use IMM
 * features" policy grants `ram:PassRole` on aliyunimmdefaultrole next to `imm:CreateOfficeConversionTask` (ref
 * ram-policy.md §5). We grant it, send it in the session policy and enforce it locally for these operations, so a
 * deployment that works here cannot lack the grant there. GetTask and RefreshWebofficeToken only read or renew what an
 * earlier call started, with no new use of the role.
 */
export const OPERATIONS_PASSING_SERVICE_ROLE: readonly ImmOperation[] = [
  'DetectImageScore',
  'CreateMediaConvertTask',
  'CreateOfficeConversionTask',
  'GenerateWebofficeToken',
];

/** Whether IMM checks `ram:PassRole` for this action (`DetectImageScore` or `imm:DetectImageScore`), case-insensitive. */
export function passesServiceRole(action: string): boolean {
  const name = action.replace(/^imm:/i, '').toLowerCase();
  return OPERATIONS_PASSING_SERVICE_ROLE.some((op) => op.toLowerCase() === name);
}

/** The project's ARN, as IMM's RAM reference writes it; `region` empty means any region. */
export function immProjectArn(region: string, accountId: string, project: string): string {
  return `acs:imm:${region || '*'}:${accountId}:project/${project}`;
}

/**
 * What the `imm:` actions are granted on: the project, and the project's own parts.
 *
 * A choice, documented: the RAM reference gives GetTask and the other operations here the Project resource type, and
 * has no Task type; a task lives inside its project. If IMM ever authorizes a task (or another part of the project)
 * by a longer ARN, it would follow the dataset and trigger ones, `…/project/<name>/<part>/…`, so `/*` covers it
 * without reaching past the project.
 */
export function immProjectResources(region: string, accountId: string, project: string): string[] {
  const arn = immProjectArn(region, accountId, project);
  return [arn, `${arn}/*`];
}

/**
 * The service role's ARN, with the role name spelled as the role is named: the engine compares resource ARNs
 * case-sensitively (the OSS doc's example lower-cases it, ram-policy.md §1.3).
 */
export function immServiceRoleArn(accountId: string, roleName: string = DEFAULT_IMM_SERVICE_ROLE): string {
  return `acs:ram::${accountId}:role/${roleName}`;
}

/** The account of `acs:ram::<uid>:role/<name>`, or undefined. */
export function accountOfRoleArn(roleArn: string): string | undefined {
  return /^acs:ram::(\d+):role\/.+$/.exec(roleArn)?.[1];
}

export interface ImmGrantScope {
  region: string;
  /** The account that owns the IMM project (the media account). */
  mediaAccountId: string;
  immProject: string;
  operations: readonly ImmOperation[];
  /** Default AliyunIMMDefaultRole. */
  immServiceRoleName?: string;
}

export type ImmGrantStatement = {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
};

/**
 * The statements that let a caller use `operations` on one project, and nothing else: the operator role's permissions
 * and the AssumeRole session policy are both exactly these, so the session can never do more than the role was meant
 * to, even when the role itself is given more.
 */
export function immGrantStatements(scope: ImmGrantScope): ImmGrantStatement[] {
  const operations = [...new Set(scope.operations)];
  const statements: ImmGrantStatement[] = [
    {
      Sid: 'UseImmProject',
      Effect: 'Allow',
      Action: operations.map((op) => `imm:${op}`),
      Resource: immProjectResources(scope.region, scope.mediaAccountId, scope.immProject),
    },
  ];
  if (operations.some((op) => OPERATIONS_PASSING_SERVICE_ROLE.includes(op))) {
    statements.push({
      Sid: 'PassImmServiceRole',
      Effect: 'Allow',
      Action: ['ram:PassRole'],
      Resource: [immServiceRoleArn(scope.mediaAccountId, scope.immServiceRoleName)],
    });
  }
  return statements;
}
