import { runSetupFindings } from '../config/setup-check.ts';
import { loadOrExit, sidecarOrExit, startHttpOrExit, untilSignal, type CommonOptions } from './common.ts';
import { CliError } from './errors.ts';

export async function runCommand(options: CommonOptions): Promise<void> {
  const { config, log } = loadOrExit(options);
  // The same findings `doctor` reports (server/config/setup-check.ts).
  const findings = runSetupFindings(config);
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    throw new CliError(errors.map((f) => f.message).join('; '), 2);
  }
  for (const f of findings) {
    // Sidecar.start() logs the two Gerrit warnings itself.
    if (f.key === 'http.apiToken') {
      log.warn({ key: f.key }, f.message);
    }
  }
  const sidecar = sidecarOrExit(config, log, options);
  const server = await startHttpOrExit(sidecar);
  // The query API is served: fill the change index from Tempo if this database lacks it.
  void sidecar.changeIndex.start();
  log.info(
    {
      http: server.address(),
      database: config.databasePath,
      serverId: sidecar.config.serverId,
      tempo: config.tempo.otlpEndpoint,
    },
    'ReviewTrace sidecar started',
  );
  sidecar.start();
  await untilSignal(log);
  server.close();
  await sidecar.stop();
  log.info('Stopped');
}
