import { css } from '@emotion/css';
import { dateTime, isDateTime, type GrafanaTheme2, type TimeRange } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import {
  Button,
  Checkbox,
  MultiCombobox,
  RadioButtonGroup,
  RefreshPicker,
  TimeRangePicker,
  useStyles2,
} from '@grafana/ui';
import type { Facets, StatusFilter } from '../../review-model/code-review-api.ts';
import { testIds } from '../../test-ids.ts';
import { CODE_REVIEW_QUICK_RANGES, shiftRange, zoomOutRange } from '../../view-model/time-range.ts';
import { hasFilters, clearFilters, REFRESH_INTERVALS, type CodeReviewUrlState } from '../../view-model/url-state.ts';

interface Props {
  state: CodeReviewUrlState;
  /** The resolved range shown in the time picker. */
  range: { from: number; to: number };
  timeZone: TimeZone;
  facets?: Facets;
  onChange: (next: CodeReviewUrlState) => void;
  onRefresh: () => void;
  loading: boolean;
}

const STATUS_OPTIONS: Array<{ label: string; value: StatusFilter }> = [
  { label: 'All', value: 'all' },
  { label: 'Open', value: 'open' },
  { label: 'Merged', value: 'merged' },
  { label: 'Abandoned', value: 'abandoned' },
];

type ListKey = 'project' | 'branch' | 'owner' | 'reviewer';

const LISTS: Array<{ key: ListKey; facet: keyof Facets; label: string; testId: string }> = [
  { key: 'project', facet: 'projects', label: 'Project', testId: testIds.codeReview.project },
  { key: 'branch', facet: 'branches', label: 'Branch', testId: testIds.codeReview.branch },
  { key: 'owner', facet: 'owners', label: 'Owner', testId: testIds.codeReview.owner },
  { key: 'reviewer', facet: 'reviewers', label: 'Reviewer', testId: testIds.codeReview.reviewer },
];

function rawTime(v: TimeRange['raw']['from']): string {
  return isDateTime(v) ? String(v.valueOf()) : String(v);
}

/**
 * Status, bots, the four multi-select filters, and Grafana's time and refresh pickers (zoom out,
 * shift, quick ranges sized for code review, time zone, auto refresh). Everything goes to the URL.
 */
export function Filters({ state, range, timeZone, facets, onChange, onRefresh, loading }: Props) {
  const styles = useStyles2(getStyles);
  const timeRange: TimeRange = {
    from: dateTime(range.from),
    to: dateTime(range.to),
    raw: { from: state.from, to: state.to },
  };
  const absolute = (r: { from: number; to: number }) => onChange({ ...state, from: String(r.from), to: String(r.to) });
  return (
    <div className={styles.bar}>
      <div className={styles.row}>
        <div data-testid={testIds.codeReview.status}>
          <RadioButtonGroup<StatusFilter>
            options={STATUS_OPTIONS}
            value={state.status}
            onChange={(status) => onChange({ ...state, status })}
          />
        </div>
        <Checkbox
          label="Include bots"
          value={state.includeBots}
          onChange={(e) => onChange({ ...state, includeBots: e.currentTarget.checked })}
          data-testid={testIds.codeReview.includeBots}
        />
        {hasFilters(state) && (
          <Button
            variant="secondary"
            fill="text"
            icon="times"
            onClick={() => onChange(clearFilters(state))}
            data-testid={testIds.codeReview.clearFilters}
          >
            Clear filters
          </Button>
        )}
        <div className={styles.pickers}>
          <div data-testid={testIds.codeReview.timeRange}>
            <TimeRangePicker
              value={timeRange}
              timeZone={timeZone}
              quickRanges={[...CODE_REVIEW_QUICK_RANGES]}
              onChange={(tr) => onChange({ ...state, from: rawTime(tr.raw.from), to: rawTime(tr.raw.to) })}
              onChangeTimeZone={(tz) => onChange({ ...state, timezone: tz || undefined })}
              onMoveBackward={() => absolute(shiftRange(range, -1, Date.now()))}
              onMoveForward={() => absolute(shiftRange(range, 1, Date.now()))}
              onZoom={() => absolute(zoomOutRange(range, Date.now()))}
              moveBackwardTooltip="Earlier by half the range"
              moveForwardTooltip="Later by half the range (stops at now)"
            />
          </div>
          <div data-testid={testIds.codeReview.refresh}>
            <RefreshPicker
              onRefresh={onRefresh}
              isLoading={loading}
              intervals={[...REFRESH_INTERVALS]}
              value={state.refresh ?? ''}
              onIntervalChanged={(interval) => onChange({ ...state, refresh: interval || undefined })}
              tooltip="Reload the changes (relative ranges move to now)"
            />
          </div>
        </div>
      </div>
      <div className={styles.lists}>
        {LISTS.map((list) => {
          const values = new Set([...(facets?.[list.facet] ?? []), ...state[list.key]]);
          const options = [...values].sort((a, b) => a.localeCompare(b)).map((v) => ({ label: v, value: v }));
          return (
            <div key={list.key} className={styles.filter} data-testid={list.testId}>
              <label className={styles.label} htmlFor={`reviewtrace-filter-${list.key}`}>
                {list.label}
              </label>
              <MultiCombobox<string>
                id={`reviewtrace-filter-${list.key}`}
                aria-label={`${list.label} filter`}
                placeholder={`All ${list.facet}`}
                options={options}
                value={state[list.key]}
                isClearable
                onChange={(selected) => onChange({ ...state, [list.key]: selected.map((o) => o.value) })}
              />
            </div>
          );
        })}
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  bar: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), marginBottom: theme.spacing(2) }),
  row: css({ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: theme.spacing(1.5) }),
  pickers: css({ display: 'flex', gap: theme.spacing(1), marginLeft: 'auto' }),
  lists: css({ display: 'flex', flexWrap: 'wrap', alignItems: 'flex-start', gap: theme.spacing(1.5) }),
  // The four filters share a row down to a 1,024 px window; below that they wrap.
  filter: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.25),
    flex: '1 1 180px',
    maxWidth: theme.spacing(40),
  }),
  label: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    marginBottom: 0,
  }),
});
