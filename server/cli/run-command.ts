import { startHttpServer } from '../http/http-server.ts';
import { createQueryApi } from '../http/query-api.ts';
import { loadOrExit, sidecarOrExit, untilSignal, type CommonOptions } from './common.ts';

export async function runCommand(options: CommonOptions): Promise<void> {
  const { config, log } = loadOrExit(options);
  if (!config.gerrit.ssh) {
    log.error(
      'gerrit.ssh is not configured: nothing to follow. Configure Gerrit (see docs/configuration.md) or run `reviewtrace-server demo`.',
    );
    process.exit(2);
  }
  const sidecar = sidecarOrExit(config, log, options);
  const server = await startHttpServer(sidecar, createQueryApi(sidecar.queries, sidecar.serviceMaps));
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
