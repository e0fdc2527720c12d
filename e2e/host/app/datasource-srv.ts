// The test host's DataSourceSrv: the data sources of config.datasources (the host provisions one
// Tempo data source, uid "tempo"), enough for pickers and links. Queries are not supported: the
// ReviewTrace app reads through its own proxy route, not through data source queries.
import type { DataSourceApi, DataSourceInstanceSettings, DataSourceRef } from '@grafana/data';
import { config, type DataSourceSrv, type GetDataSourceListFilters } from '@grafana/runtime';

export class HostDataSourceSrv implements DataSourceSrv {
  private all(): DataSourceInstanceSettings[] {
    return Object.values(config.datasources);
  }

  getInstanceSettings(ref?: DataSourceRef | string | null): DataSourceInstanceSettings | undefined {
    if (ref === undefined || ref === null) {
      return this.all().find((ds) => ds.isDefault) ?? config.datasources[config.defaultDatasource];
    }
    const key = typeof ref === 'string' ? ref : ref.uid;
    return this.all().find((ds) => ds.uid === key || ds.name === key);
  }

  getList(filters: GetDataSourceListFilters = {}): DataSourceInstanceSettings[] {
    const types = filters.type === undefined ? undefined : Array.isArray(filters.type) ? filters.type : [filters.type];
    return this.all().filter(
      (ds) =>
        (!types || types.includes(ds.type)) &&
        (!filters.pluginId || ds.meta.id === filters.pluginId) &&
        (!filters.tracing || ds.meta.tracing) &&
        (!filters.filter || filters.filter(ds)),
    );
  }

  get(ref?: DataSourceRef | string | null): Promise<DataSourceApi> {
    const settings = this.getInstanceSettings(ref);
    return Promise.reject(
      new Error(`the test host does not run data source queries (${settings ? settings.name : String(ref)})`),
    );
  }

  reload(): Promise<void> {
    return Promise.resolve();
  }

  registerRuntimeDataSource(): void {
    throw new Error('the test host does not support runtime data sources');
  }
}
