import { startHttpServer } from '../http/http-server.ts';
import { createQueryApi } from '../http/query-api.ts';
import { DEMO_API_TOKEN } from '../config/config.ts';
import { loadOrExit, sidecarOrExit, untilSignal, type CommonOptions } from './common.ts';

export async function runCommand(options: CommonOptions): Promise<void> {
  const { config, log } = loadOrExit(options);
  if (!config.gerrit.ssh) {
    log.error(
      'gerrit.ssh is not configured: nothing to follow. Configure Gerrit (see docs/configuration.md) or run `reviewtrace-server demo`.',
    );
    process.exit(2);
  }
  if (config.http.apiToken === DEMO_API_TOKEN) {
    process.stderr.write(
      'http.apiToken: the demo token of docker-compose.yaml is public; set your own (16+ characters) in REVIEWTRACE_API_TOKEN (compose) or REVIEWTRACE_HTTP__API_TOKEN\n',
    );
    process.exit(2);
  }
  const sidecar = sidecarOrExit(config, log, options);
  const server = await startHttpServer(
    sidecar,
    createQueryApi(sidecar.queries, sidecar.serviceMaps, sidecar.reviewLoads, sidecar.log, {
      maxRangeDays: sidecar.config.query.maxRangeDays,
    }),
  );
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
