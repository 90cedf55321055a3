// What the admin endpoint shows and controls: call counters, recent authorization decisions and
// injected faults. One instance per local stack, handed to every emulated service.

export interface FaultRule {
  service: string;
  action?: string;
  rate: number;
  status: number;
  code: string;
  latencyMs?: number;
  message?: string;
}

export interface InjectedFault {
  status: number;
  code: string;
  message: string;
  latencyMs: number;
}

export interface DecisionRecord {
  at: string;
  service: string;
  principal: string;
  action: string;
  resource: string;
  decision: string;
  reasons: unknown[];
  explanation: string[];
}

const MAX_DECISIONS = 200;

export class Telemetry {
  private readonly calls = new Map<string, number>();
  private readonly successes = new Map<string, number>();
  private readonly invocations = new Map<string, number>();
  private readonly decisions: DecisionRecord[] = [];
  private rules: FaultRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  /** Counts one call, keyed like `sts:AssumeRole` or `imm:DetectImageScore`. */
  countCall(service: string, action: string): void {
    const key = `${service}:${action}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
  }

  /** Counts one call that succeeded (2xx), to tell work done from attempts made under injected faults. */
  countSuccess(service: string, action: string): void {
    const key = `${service}:${action}`;
    this.successes.set(key, (this.successes.get(key) ?? 0) + 1);
  }

  countInvocation(functionName: string): void {
    this.invocations.set(functionName, (this.invocations.get(functionName) ?? 0) + 1);
  }

  recordDecision(record: Omit<DecisionRecord, 'at'>): void {
    this.decisions.push({ at: new Date().toISOString(), ...record });
    if (this.decisions.length > MAX_DECISIONS) this.decisions.splice(0, this.decisions.length - MAX_DECISIONS);
  }

  setFaults(rules: FaultRule[]): void {
    this.rules = rules;
  }

  /** Returns the fault to inject for this call, if a rule matches and its dice roll says so. Latency-only rules return status 0. */
  pickFault(service: string, action: string): InjectedFault | undefined {
    for (const rule of this.rules) {
      if (rule.service !== service || (rule.action && rule.action !== action)) continue;
      const latencyMs = rule.latencyMs ?? 0;
      if (this.random() < rule.rate) {
        return { status: rule.status, code: rule.code, message: rule.message ?? `injected fault: ${rule.code}`, latencyMs };
      }
      if (latencyMs > 0) return { status: 0, code: '', message: '', latencyMs };
    }
    return undefined;
  }

  stats(): { calls: Record<string, number>; succeeded: Record<string, number>; invocations: Record<string, number> } {
    return { calls: Object.fromEntries(this.calls), succeeded: Object.fromEntries(this.successes), invocations: Object.fromEntries(this.invocations) };
  }

  recentDecisions(): DecisionRecord[] {
    return [...this.decisions];
  }

  faults(): FaultRule[] {
    return [...this.rules];
  }
}
