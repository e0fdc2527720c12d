import { DEMO_API_TOKEN, type Config } from './config.ts';

// What a valid setup for `run` (following a real Gerrit) is, beyond the schema: one list that `run`
// enforces at start and `doctor` reports, so the two never disagree. Errors stop `run` (and fail
// `doctor`); warnings are logged by `run` and shown by `doctor` without failing it.

export interface SetupFinding {
  /** The configuration key concerned. */
  key: string;
  severity: 'error' | 'warning';
  message: string;
}

export function runSetupFindings(config: Config): SetupFinding[] {
  const findings: SetupFinding[] = [];
  if (!config.gerrit.ssh) {
    findings.push({
      key: 'gerrit.ssh',
      severity: 'error',
      message:
        'gerrit.ssh is not configured (host, username, privateKeyFile, hostKey): nothing to follow. Configure Gerrit (docs/configuration.md), or run `reviewtrace-server demo`, which needs none of it',
    });
  } else if (config.gerrit.ssh.hostKey.insecureAcceptAny) {
    findings.push({
      key: 'gerrit.ssh.hostKey.insecureAcceptAny',
      severity: 'warning',
      message:
        'the Gerrit host key is NOT verified (gerrit.ssh.hostKey.insecureAcceptAny); use only for local experiments',
    });
  }
  if (!config.gerrit.http) {
    findings.push({
      key: 'gerrit.http',
      severity: 'warning',
      message:
        'gerrit.http is not configured: events missed while disconnected cannot be reconciled, and backfill needs it (REVIEWTRACE_GERRIT__HTTP__URL)',
    });
  }
  if (config.http.apiToken === DEMO_API_TOKEN) {
    findings.push({
      key: 'http.apiToken',
      severity: 'error',
      message:
        'http.apiToken: the demo token of docker-compose.yaml is public; set your own (16+ characters) in REVIEWTRACE_API_TOKEN (compose) or REVIEWTRACE_HTTP__API_TOKEN',
    });
  } else if (!config.http.apiToken) {
    findings.push({
      key: 'http.apiToken',
      severity: 'warning',
      message:
        'http.apiToken is not set: the query API is off and the Grafana app can read nothing; set REVIEWTRACE_HTTP__API_TOKEN (16+ characters) and the same token in the app configuration',
    });
  }
  return findings;
}
