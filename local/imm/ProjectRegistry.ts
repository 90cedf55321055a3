// State of the offline IMM: projects. A project belongs to one account and one region and has a
// service role, the identity IMM uses to read and write that account's data (D-XACCT).

export interface Project {
  accountId: string;
  name: string;
  region: string;
  /** Role name in the project's account; IMM's default is AliyunIMMDefaultRole. */
  serviceRole: string;
  createdAt: string;
}

export class ProjectRegistry {
  private readonly projects = new Map<string, Project>();

  constructor(private readonly region: string) {}

  /** Idempotent for the same account and name: a restart can seed again. Returns the project. */
  create(accountId: string, name: string, serviceRole = 'AliyunIMMDefaultRole'): Project {
    if (!/^\d+$/.test(accountId)) throw new Error(`account id \`${accountId}\` must be digits`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(name)) throw new Error(`project name \`${name}\` must be 1 to 128 letters, digits, \`_\` or \`-\`, starting with a letter or digit`);
    const project: Project = { accountId, name, region: this.region, serviceRole, createdAt: new Date().toISOString() };
    this.projects.set(key(accountId, name), project);
    return project;
  }

  get(accountId: string, name: string): Project | undefined {
    return this.projects.get(key(accountId, name));
  }

  delete(accountId: string, name: string): boolean {
    return this.projects.delete(key(accountId, name));
  }

  list(accountId?: string): Project[] {
    return [...this.projects.values()].filter((p) => accountId === undefined || p.accountId === accountId);
  }
}

const key = (accountId: string, name: string): string => `${accountId}/${name}`;
