import { useEffect, useRef, type KeyboardEvent } from 'react';
import { css, cx } from '@emotion/css';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { GrafanaTheme2 } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { Badge, Icon, Tooltip, useStyles2, type BadgeColor } from '@grafana/ui';
import type { ChangeSummary, SortKey } from '../../review-model/code-review-api.ts';
import { FigureDefinition } from '../../review-model/figure-definitions.ts';
import { testIds } from '../../test-ids.ts';
import {
  firstReviewText,
  formatCount,
  formatDateTime,
  formatDuration,
  mergeOrAgeMs,
  statusLabel,
  waitingText,
} from '../../view-model/format.ts';
import type { SortDir } from '../../view-model/url-state.ts';

const ROW_HEIGHT = 36;
const MAX_BODY_HEIGHT = 560;

interface Column {
  key: SortKey;
  title: string;
  width: string;
  numeric?: boolean;
  /** What the column's figure means (the header's tooltip). */
  definition?: string;
}

const COLUMNS: Column[] = [
  { key: 'number', title: 'Change', width: '72px', numeric: true },
  { key: 'subject', title: 'Subject', width: 'minmax(124px, 3fr)' },
  { key: 'project', title: 'Project', width: 'minmax(96px, 1.3fr)' },
  { key: 'owner', title: 'Owner', width: 'minmax(80px, 1fr)' },
  { key: 'status', title: 'Status', width: '84px' },
  { key: 'waiting', title: 'Waiting on', width: 'minmax(112px, 1.2fr)', definition: FigureDefinition.waitingOn },
  { key: 'patchSets', title: 'Patch sets', width: '76px', numeric: true, definition: FigureDefinition.patchSets },
  {
    key: 'timeToFirstReview',
    title: 'First review',
    width: '96px',
    numeric: true,
    definition: FigureDefinition.timeToFirstReview,
  },
  {
    key: 'timeToMergeOrAge',
    title: 'Merge / age',
    width: '96px',
    numeric: true,
    definition: FigureDefinition.mergeOrAge,
  },
  { key: 'created', title: 'Created', width: '140px', numeric: true },
];

const GRID = COLUMNS.map((c) => c.width).join(' ');

interface Props {
  total: number;
  row: (index: number) => ChangeSummary | undefined;
  ensureRows: (first: number, last: number) => void;
  sort: SortKey;
  dir: SortDir;
  onSort: (key: SortKey) => void;
  selected?: number;
  onSelect: (changeNumber: number) => void;
  /** For open changes' age. */
  nowMs: number;
  timeZone: TimeZone;
}

const STATUS_COLOR: Record<ChangeSummary['status'], BadgeColor> = {
  NEW: 'blue',
  MERGED: 'green',
  ABANDONED: 'darkgrey',
  DELETED: 'red',
};

/** The change list: sortable headers (server-side), virtualised rows loaded page by page. */
export function ChangeTable({ total, row, ensureRows, sort, dir, onSort, selected, onSelect, nowMs, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  const scrollRef = useRef<HTMLDivElement>(null);
  // TanStack Virtual keeps its own state outside React; the plugin does not use the React Compiler.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
  });
  const items = virtualizer.getVirtualItems();
  const first = items.length > 0 ? items[0].index : 0;
  const last = items.length > 0 ? items[items.length - 1].index : -1;

  useEffect(() => {
    ensureRows(first, last);
  }, [ensureRows, first, last]);

  const onKey = (e: KeyboardEvent, changeNumber: number) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect(changeNumber);
    }
  };

  return (
    <div className={styles.table} role="table" aria-rowcount={total + 1} data-testid={testIds.codeReview.table}>
      <div className={styles.scroll} ref={scrollRef} style={{ maxHeight: MAX_BODY_HEIGHT }}>
        <div className={cx(styles.row, styles.header)} role="row" style={{ gridTemplateColumns: GRID }}>
          {COLUMNS.map((c) => {
            const active = sort === c.key;
            const button = (
              <button
                type="button"
                className={styles.sortButton}
                onClick={() => onSort(c.key)}
                data-testid={testIds.codeReview.header(c.key)}
              >
                {c.title}
                {active && <Icon name={dir === 'asc' ? 'arrow-up' : 'arrow-down'} size="sm" />}
              </button>
            );
            return (
              <div
                key={c.key}
                role="columnheader"
                aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}
                className={cx(styles.cell, c.numeric && styles.numeric)}
              >
                {c.definition ? <Tooltip content={c.definition}>{button}</Tooltip> : button}
              </div>
            );
          })}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }} role="rowgroup">
          {items.map((item) => {
            const change = row(item.index);
            const style = {
              gridTemplateColumns: GRID,
              height: item.size,
              transform: `translateY(${item.start}px)`,
            };
            if (!change) {
              return (
                <div
                  key={item.key}
                  role="row"
                  aria-rowindex={item.index + 2}
                  className={cx(styles.row, styles.body, styles.placeholder)}
                  style={style}
                  data-testid={testIds.codeReview.placeholderRow(item.index)}
                >
                  <div className={styles.cell}>…</div>
                </div>
              );
            }
            const mergeOrAge = mergeOrAgeMs(change, nowMs);
            const waiting = waitingText(change, nowMs, timeZone);
            const firstReview = firstReviewText(change, nowMs);
            return (
              <div
                key={item.key}
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={selected === change.number}
                tabIndex={0}
                className={cx(styles.row, styles.body, selected === change.number && styles.selected)}
                style={style}
                onClick={() => onSelect(change.number)}
                onKeyDown={(e) => onKey(e, change.number)}
                data-testid={testIds.codeReview.row(change.number)}
              >
                <div role="cell" className={cx(styles.cell, styles.numeric)}>
                  {change.number}
                </div>
                <div role="cell" className={styles.cell} title={change.subject}>
                  {change.subject}
                </div>
                <div role="cell" className={styles.cell} title={`${change.project} (${change.branch})`}>
                  {change.project}
                </div>
                <div role="cell" className={styles.cell} title={change.ownerName ?? change.owner}>
                  {change.owner}
                  {change.ownerIsBot && <span className={styles.muted}> (bot)</span>}
                </div>
                <div role="cell" className={styles.cell}>
                  <Badge text={statusLabel(change.status, change.wip)} color={STATUS_COLOR[change.status]} />
                </div>
                <div role="cell" className={styles.cell} title={waiting.title}>
                  {waiting.text}
                </div>
                <div role="cell" className={cx(styles.cell, styles.numeric)}>
                  {formatCount(change.patchSets)}
                </div>
                <div
                  role="cell"
                  className={cx(styles.cell, styles.numeric, firstReview.waiting && styles.waiting)}
                  title={firstReview.title}
                >
                  {firstReview.text}
                </div>
                <div
                  role="cell"
                  className={cx(styles.cell, styles.numeric, mergeOrAge.kind === 'age' && styles.muted)}
                  title={
                    mergeOrAge.kind === 'age' ? 'Open for' : mergeOrAge.kind === 'merge' ? 'Time to merge' : undefined
                  }
                >
                  {formatDuration(mergeOrAge.ms)}
                </div>
                <div role="cell" className={cx(styles.cell, styles.numeric, styles.muted)}>
                  {formatDateTime(change.createdMs, timeZone)}
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    overflow: 'hidden',
  }),
  scroll: css({ overflow: 'auto', position: 'relative' }),
  row: css({
    display: 'grid',
    alignItems: 'center',
    // The columns' minimum widths (976 px): all of them fit a 1,024 px wide window.
    minWidth: 976,
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  header: css({
    position: 'sticky',
    top: 0,
    zIndex: 1,
    height: ROW_HEIGHT,
    background: theme.colors.background.secondary,
    fontWeight: theme.typography.fontWeightMedium,
    // A narrow column's title wraps to a second line rather than being cut ("Patch / sets").
    '& > *': { whiteSpace: 'normal', lineHeight: 1.15 },
  }),
  body: css({
    position: 'absolute',
    top: 0,
    left: 0,
    width: '100%',
    cursor: 'pointer',
    '&:hover': { background: theme.colors.action.hover },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: -2 },
  }),
  selected: css({ background: theme.colors.action.selected }),
  placeholder: css({ color: theme.colors.text.disabled, cursor: 'default' }),
  cell: css({
    padding: theme.spacing(0, 1),
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  numeric: css({ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }),
  muted: css({ color: theme.colors.text.secondary }),
  waiting: css({ color: theme.colors.warning.text }),
  sortButton: css({
    all: 'unset',
    cursor: 'pointer',
    display: 'inline-flex',
    gap: theme.spacing(0.5),
    alignItems: 'center',
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
});
