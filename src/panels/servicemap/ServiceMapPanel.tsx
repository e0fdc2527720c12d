import { useMemo } from 'react';
import type { PanelProps } from '@grafana/data';
import { ServiceMapView } from '../../components/ServiceMap/ServiceMapView.tsx';
import { panelQuery, type ServiceMapPanelOptions } from '../../view-model/service-map-view.ts';

/** The service-map panel: the dashboard's time range and variables make the query; ServiceMapView draws it. */
export function ServiceMapPanel({
  options,
  width,
  height,
  timeRange,
  replaceVariables,
}: PanelProps<ServiceMapPanelOptions>) {
  const from = timeRange.from.valueOf();
  const to = timeRange.to.valueOf();
  const query = useMemo(
    () => panelQuery(options, { from, to }, (t) => replaceVariables(t)),
    [options, from, to, replaceVariables],
  );
  return <ServiceMapView query={query} options={options} width={width} height={height} />;
}
